"""Models built from data this code made itself, without pydantic's per-call work.

`BaseModel.model_construct` walks every field of the model in Python (aliases, defaults) on each call:
about 5 µs for a facet value, a hundred of them per search. Where every field is given, `trusted`
sets the same attributes directly (what `model_construct` ends with), about 1 µs. A test checks it
builds what `model_construct` builds, so a pydantic upgrade that changes the internals is caught.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of `cls` holding `values` (every field, nothing else: not checked)."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model
