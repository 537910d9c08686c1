"""`QueryModelRoute`: a route whose endpoint reads one query model, read without FastAPI's per-field work.

FastAPI documents the route from the endpoint's signature like any other route. At run time, FastAPI
would walk the model's fields for every request and inspect each annotation again: 115 µs of a search
on the CI machine kind. This route reads the query string into the model's input in one pass and
validates it once (8 µs). The answers are the same, errors included: `tests/api/test_query_model.py`
sends generated query strings to both kinds of route and compares what they answer.

An endpoint it serves takes the query model (`Annotated[Model, Query()]`), the `Request`, and
dependencies that read only the request (`Annotated[T, Depends(f)]`, `async def f(request)`), and returns
a `Response` (nothing to validate or serialise after it). Anything else is refused when the route is
built, not at the first request. When the app overrides dependencies (tests), or when the route is
included with router dependencies, FastAPI's own handler answers, so nothing is bypassed. What this
route does not do is FastAPI's OpenTelemetry hooks (`fastapi.telemetry`): they only act with an
OpenTelemetry SDK configured, which this project does not install.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.params import Depends, Query
from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

from api.http.load_shedding import SheddingRoute

# The types FastAPI reads from a repeated query parameter (`fastapi/_compat/shared.py`).
SEQUENCES = (collections.abc.Sequence, list, tuple, set, frozenset, collections.deque)


def _is_sequence_type(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, SEQUENCES) and not issubclass(candidate, (str, bytes))


def is_sequence(annotation: Any) -> bool:
    """Whether a query parameter of this type may repeat (`odd=3&odd=7`), as FastAPI decides it."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return is_sequence(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(is_sequence(arg) for arg in typing.get_args(annotation))
    return _is_sequence_type(annotation) or _is_sequence_type(origin)


@dataclass(frozen=True)
class QueryReader:
    """Reads a query string into `model`: repeatable fields as lists, the others as their value (given twice: a 422
    naming it, as embeds and feeds answer, not the last one silently), and unknown names as they came (the model's
    `extra` policy judges them)."""

    model: type[BaseModel]
    fields: tuple[str, ...]
    repeatable: frozenset[str]

    @classmethod
    def of(cls, model: type[BaseModel]) -> QueryReader:
        for name, field in model.model_fields.items():
            if field.alias not in (None, name) or field.validation_alias not in (None, name):
                raise TypeError(f"{model.__name__}.{name}: query models read here have no aliases")
        fields = model.model_fields
        return cls(
            model,
            fields=tuple(fields),
            repeatable=frozenset(name for name, field in fields.items() if is_sequence(field.annotation)),
        )

    def read(self, query: QueryParams) -> BaseModel:
        # The model's fields in its order, then the unknown names in the query's: the input FastAPI builds
        # (a model-level error shows it, and a "before" validator sees it).
        data: dict[str, Any] = {}
        repeated: list[dict[str, Any]] = []
        for name in self.fields:
            if name in query:
                if name in self.repeatable:
                    data[name] = query.getlist(name)
                    continue
                values = query.getlist(name)
                if len(values) > 1:
                    repeated.append(
                        {
                            "loc": ("query", name),
                            "msg": f"given {len(values)} times; send one value",
                            "type": "repeated",
                            "input": values[:5],
                        }
                    )
                data[name] = values[-1]
        if repeated:
            raise RequestValidationError(repeated)
        if len(data) < len(query):
            for name in query:
                if name not in data:
                    values = query.getlist(name)
                    data[name] = values[0] if len(values) == 1 else values
        try:
            return self.model.model_validate(data, from_attributes=True)
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None


RequestDependency = Callable[[Request], Awaitable[Any]]


@dataclass(frozen=True)
class EndpointShape:
    """How to call the endpoint: the name of its query model and its reader, of its `Request`, and its
    request-only dependencies."""

    model_name: str
    reader: QueryReader
    request_name: str | None
    dependencies: tuple[tuple[str, RequestDependency], ...]

    @classmethod
    def of(cls, endpoint: Callable[..., Any]) -> EndpointShape:
        where = f"{endpoint.__module__}.{endpoint.__qualname__}"
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError(f"{where}: a QueryModelRoute endpoint is `async`")
        hints = typing.get_type_hints(endpoint, include_extras=True)
        returned = hints.pop("return", None)
        unannotated = set(inspect.signature(endpoint).parameters) - set(hints)
        if unannotated:
            raise TypeError(f"{where}: parameters without a type: {sorted(unannotated)}")
        if not (inspect.isclass(returned) and issubclass(returned, Response)):
            raise TypeError(f"{where}: a QueryModelRoute endpoint returns a Response")
        model: tuple[str, QueryReader] | None = None
        request_name, dependencies = None, []
        for name, hint in hints.items():
            base, *extras = typing.get_args(hint) if typing.get_origin(hint) is typing.Annotated else (hint,)
            if base is Request:
                request_name = name
            elif (
                inspect.isclass(base)
                and issubclass(base, BaseModel)
                and len(extras) == 1
                and isinstance(extras[0], Query)
            ):
                if model is not None:
                    raise TypeError(f"{where}: one query model only")
                model = (name, QueryReader.of(base))
            elif len(extras) == 1 and isinstance(extras[0], Depends) and reads_request_only(extras[0].dependency):
                dependencies.append((name, typing.cast(RequestDependency, extras[0].dependency)))
            else:
                raise TypeError(
                    f"{where}: parameter {name!r} is not a query model, the request or a request-only dependency"
                )
        if model is None:
            raise TypeError(f"{where}: no `Annotated[Model, Query()]` parameter")
        return cls(model[0], model[1], request_name, tuple(dependencies))


def reads_request_only(dependency: Any) -> bool:
    if dependency is None or not inspect.iscoroutinefunction(dependency):
        return False
    hints = typing.get_type_hints(dependency)
    hints.pop("return", None)
    return list(hints.values()) == [Request] and len(inspect.signature(dependency).parameters) == 1


def included_dependencies() -> list[Any]:
    """The dependencies `include_router(..., dependencies=...)` adds to the route being built (FastAPI builds
    each included route's handler again with them in a context variable)."""
    context = getattr(fastapi.routing, "_effective_route_context_var", None)
    current = context.get() if context is not None else None
    return list(getattr(current, "dependencies", None) or [])


class QueryModelRoute(SheddingRoute):
    """A `SheddingRoute` that reads its endpoint's query model itself (see the module doc)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        shape = EndpointShape.of(self.endpoint)
        if self.dependencies:
            raise TypeError(f"{self.path}: a QueryModelRoute does not run route dependencies")
        fallback = super().get_route_handler()
        if included_dependencies():
            return fallback  # FastAPI's handler runs what the including router adds
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            if getattr(request.app, "dependency_overrides", None):
                return await fallback(request)
            arguments: dict[str, Any] = {shape.model_name: shape.reader.read(request.query_params)}
            if shape.request_name is not None:
                arguments[shape.request_name] = request
            for name, dependency in shape.dependencies:
                arguments[name] = await dependency(request)
            response: Response = await endpoint(**arguments)
            return response

        return handler
