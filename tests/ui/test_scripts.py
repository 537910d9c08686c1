"""The small scripts the UI injects: built from our constants, and the words typed can never close them."""

from __future__ import annotations

import json
import re

from ui import french, scroll


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
