"""A proposed change to a published practice, as an editor reviews it: each changed field, published and proposed
side by side, in plain words (every value escaped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ui.components import labels, paragraphs, safe_text
from ui.monograph_form import FIELD_NAMES

EMPTY = "—"


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
        where = ", ".join(str(value[part]) for part in ("place", "name", "region") if value.get(part))
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


def changes_table(published: Mapping[str, Any], proposal: Mapping[str, Any], refs: dict[str, Any]) -> str:
    """The proposal's changed fields as an HTML table: field, published value, proposed value."""
    rows = []
    for name in proposal["changed_fields"]:
        before = field_text(name, published.get(name), refs)
        after = field_text(name, proposal["content"].get(name), refs)
        rows.append(
            f'<tr><th scope="row">{safe_text(FIELD_NAMES.get(name, name))}</th>'
            f"<td>{paragraphs(before) or EMPTY}</td><td>{paragraphs(after) or EMPTY}</td></tr>"
        )
    # In a block `<div>`: the whole markup is read as HTML (`html_block`).
    return (
        '<div class="impact-changes-wrap"><table class="impact-changes"><caption>Champs modifiés</caption>'
        '<thead><tr><th scope="col">Champ</th><th scope="col">Fiche publiée</th>'
        f'<th scope="col">Proposition</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
