"""Query parameters a route does not take are a 422 naming them, as on `/search` (`query_model.py`): `?statut=pending`
silently listed every proposal, `?Status=submitted` the whole queue. For the JSON API's keyed routes (monographs,
moderation, proposals); embeds and feeds stay lenient, partners' pages add their own parameters."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

# At most this many unknown parameters named in one answer (the query string is bounded, its names are not few).
NAMED_AT_MOST = 10
TAKEN = "_impact_query_names"  # the route's attribute holding the parameters it takes (worked out once)


def _query_names(dependant: Any) -> set[str]:
    """The names a route reads from its query string; a pydantic model read from the query (`Annotated[Model,
    Query()]`) by its fields' names."""
    names: set[str] = set()
    for field in dependant.query_params:
        model = getattr(field.field_info, "annotation", None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {info.alias or name for name, info in model.model_fields.items()}
        else:
            names.add(field.alias)
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


async def no_unknown_query(request: Request) -> None:
    """A router dependency: refuses the request when its query string names a parameter the route does not take."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    taken = getattr(route, TAKEN, None)
    if taken is None:
        taken = frozenset(_query_names(dependant))
        setattr(route, TAKEN, taken)
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        allowed = ", ".join(sorted(taken)) or "no parameter"
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": f"unknown parameter (this route takes {allowed})",
                    "input": request.query_params.get(name),
                }
                for name in unknown[:NAMED_AT_MOST]
            ]
        )
