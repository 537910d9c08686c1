"""Models built from data this code made itself, without pydantic's per-call work.

`BaseModel.model_construct` walks every field of the model in Python (aliases, defaults) on each call:
about 5 µs for a facet value, a hundred of them per search. Where every field is given, `trusted`
sets the same attributes directly (what `model_construct` ends with), about 0.5 µs. A test checks it
builds what `model_construct` builds, so a pydantic upgrade that changes the internals is caught.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
# The instance slots `model_construct` fills, set through their descriptors (no attribute lookup on each
# call: twice as fast as `object.__setattr__`, a hundred and fifty times a search).
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of `cls` holding `values` (every field, nothing else: not checked)."""
    model = _new(cls)
    _set_dict(model, values)
    _set_fields(model, set(values))
    _set_extra(model, None)
    _set_private(model, None)
    return model
