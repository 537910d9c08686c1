"""A proposed change to a published practice, as an editor reviews it: each changed field, published and proposed
side by side in plain words, the words a text loses and gains marked (every value escaped)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from ui.components import labels, safe_text
from ui.monograph_form import FIELD_NAMES

EMPTY = "—"
# Fields whose form slots are their parts (`territory.name`, `contact.email`…): named here as a whole.
WHOLE_FIELDS = {"territory": "Territoire", "contact": "Contact"}
# A word with the spaces after it: half as many pieces to compare as words and spaces apart.
_WORDS = re.compile(r"\s+|\S+\s*")
# Beyond this many word pairs to compare (two sections of about 1,500 words each), a text is shown whole on each
# side, unmarked: the comparison grows with the product of the lengths, on the page's time.
DIFF_BUDGET = 2_000_000


def field_name(name: str) -> str:
    return WHOLE_FIELDS.get(name) or FIELD_NAMES.get(name, name)


def field_text(name: str, value: Any, refs: dict[str, Any]) -> str:
    """A content field's value as a reader says it (French labels, codes named), plain text."""
    if value in (None, "", [], {}):
        return EMPTY
    if name in ("territory_types", "actor_categories"):
        named = labels(refs, name)
        return ", ".join(named.get(str(v), str(v)) for v in value)
    if name == "odd":
        return ", ".join(f"ODD {number}" for number in value)
    if name == "territory":
        parts = ("place", "name", "department", "region")
        where = ", ".join(str(value[part]) for part in parts if value.get(part))
        return f"{where} ({value['code']})" if value.get("code") else where
    if name == "actors":
        categories = labels(refs, "actor_categories")
        return "\n".join(
            f"{actor.get('name', '')} ({categories.get(str(actor.get('category')), actor.get('category'))}"
            + (f", {actor['role']})" if actor.get("role") else ")")
            for actor in value
        )
    if name == "contact":
        return ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def word_diff(before: str, after: str) -> tuple[str, str]:
    """Both texts as escaped HTML, the words `before` loses in `<del>` and those `after` gains in `<ins>`."""
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    if len(old) * len(new) > DIFF_BUDGET:
        return safe_text(before), safe_text(after)
    kept_before: list[str] = []
    kept_after: list[str] = []
    # Words compared without their spaces (« Diois » ending a text is « Diois » before another word).
    words = difflib.SequenceMatcher(None, [t.strip() for t in old], [t.strip() for t in new], autojunk=False)
    for tag, i1, i2, j1, j2 in words.get_opcodes():
        removed, added = "".join(old[i1:i2]), "".join(new[j1:j2])
        if tag == "equal":
            kept_before.append(safe_text(removed))
            kept_after.append(safe_text(added))
            continue
        kept_before.append(_marked("del", removed))
        kept_after.append(_marked("ins", added))
    return "".join(kept_before), "".join(kept_after)


def _marked(tag: str, text: str) -> str:
    """`text` escaped in a `tag`, the spaces after its last word outside it (nothing for no text)."""
    words = text.rstrip()
    return f"<{tag}>{safe_text(words)}</{tag}>{safe_text(text[len(words) :])}" if words else safe_text(text)


def changes_table(proposal: Mapping[str, Any], refs: dict[str, Any]) -> str:
    """The proposal's changed fields as an HTML table: field, published value, proposed value."""
    rows = []
    for name in proposal["changed_fields"]:
        before = field_text(name, proposal["published_values"].get(name), refs)
        after = field_text(name, proposal["content"].get(name), refs)
        published, proposed = word_diff(before, after)
        also = (
            '<br><span class="impact-changes-also">modifié aussi par l\'équipe depuis la proposition</span>'
            if name in proposal.get("conflicting_fields", ())
            else ""
        )
        rows.append(
            f'<tr><th scope="row">{safe_text(field_name(name))}{also}</th><td>{published}</td><td>{proposed}</td></tr>'
        )
    # In a block `<div>`: the whole markup is read as HTML (`html_block`); no blank line (`safe_text`: `<br>`).
    return (
        '<div class="impact-changes-wrap"><table class="impact-changes"><caption>Champs modifiés</caption>'
        '<thead><tr><th scope="col">Champ</th><th scope="col">Fiche publiée</th><th scope="col">Proposition</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        '<p class="impact-changes-legend">Mots retirés barrés, mots ajoutés soulignés.</p></div>'
    )
