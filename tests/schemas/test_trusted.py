"""`trusted` builds what `model_construct` builds: a pydantic upgrade changing the internals fails here."""

from __future__ import annotations

from schemas.search import FacetValue
from schemas.trusted import trusted


def test_trusted_equals_model_construct() -> None:
    values = {"value": "26", "label": "Drôme", "count": 3, "selected": True}
    built, reference = trusted(FacetValue, dict(values)), FacetValue.model_construct(**values)
    assert built == reference
    assert built.model_dump_json() == reference.model_dump_json()
    assert built.model_fields_set == reference.model_fields_set
    assert built.model_copy(update={"count": 4}).count == 4
