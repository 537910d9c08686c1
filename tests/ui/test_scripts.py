"""The small scripts the UI injects: built from our constants, and the words typed can never close them."""

from __future__ import annotations

import json
import re

from ui import accessible_names, french, scroll
from ui.search_box import practice_of, words_of


def test_the_view_signature_cannot_close_its_script() -> None:
    words = '</script><img src=x onerror=alert(1)>"; alert(2); "'

    script = scroll.script(json.dumps({"q": words}), "un-tiers-lieu-1")

    assert script.count("</script>") == 1 and script.rstrip().endswith("</script>")
    assert "<img" not in script
    embedded = re.search(r'const view = (".*"), first = "un-tiers-lieu-1";\n', script)
    assert embedded and json.loads(json.loads(embedded.group(1)))["q"] == words


def test_the_french_script_carries_every_translation() -> None:
    script = french.script()

    assert script.count("<script") == 1 and script.count("</script>") == 1
    for english, translated in french.ATTRIBUTES.items():
        assert json.dumps(english, ensure_ascii=False) in script
        assert json.dumps(translated, ensure_ascii=False) in script
    assert '"Tout sélectionner"' in script and '"Aide : "' in script
    # The Markdown escapes of labels are undone in aria-labels: a JavaScript regex of punctuation.
    assert r"/\\([!-\/:-@\[-`{-~])/g" in script


def test_only_well_formed_choices_are_followed() -> None:
    assert words_of({"kind": "tag", "text": " covoiturage "}) == "covoiturage"
    assert words_of({"kind": "territory", "text": "Vallée d'Aure"}) == "Vallée d'Aure"
    assert words_of({"kind": "practice", "text": "Une pratique", "id": "une-pratique"}) is None
    assert words_of({"kind": "inconnu", "text": "x"}) is None and words_of("covoiturage") is None
    assert practice_of({"kind": "practice", "id": "une-pratique"}) == "une-pratique"
    assert practice_of({"kind": "tag", "id": "une-pratique"}) is None and practice_of(None) is None


def test_accessible_names_cannot_close_their_script() -> None:
    name = "Retirer le filtre Région : </script><img src=x onerror=alert(1)>"

    script = accessible_names.script({"chip__region__x": name})

    assert script.count("</script>") == 1 and "<img" not in script
    embedded = re.search(r"Object.assign\(names, (\{.*\})\);", script)
    assert embedded and json.loads(embedded.group(1)) == {"chip__region__x": name}
