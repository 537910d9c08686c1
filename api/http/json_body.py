"""What a JSON body may hold before any route reads it: standard JSON (RFC 8259), text that can be stored.

Python's `json` module, which FastAPI parses bodies with, accepts `NaN` and `Infinity` and strings holding a lone
UTF-16 surrogate (`"\\ud800"`): no database stores the latter, no JSON answer can echo either, so each ended in a
500. PostgreSQL refuses the NUL character (U+0000) in text. Such a body is refused here with a 422 naming where the
problem is, in the shape of every validation error (`error_responses.py`).
"""

from __future__ import annotations

from typing import Any

import orjson


def json_problems(body: bytes) -> list[dict[str, Any]]:
    """The body's problems as validation details (`loc`, `msg`, `type`), none when it is fine or empty."""
    if not body.strip():
        return []  # no body: the route says whether it needs one
    try:
        value = orjson.loads(body)  # strict: no NaN or Infinity, no lone surrogate, valid UTF-8
    except orjson.JSONDecodeError as exc:
        return [{"loc": ["body"], "msg": f"not standard JSON: {exc}", "type": "json_invalid"}]
    where = _nul_at(value, ["body"])
    if where is None:
        return []
    return [{"loc": where, "msg": "text may not hold the NUL character (U+0000)", "type": "string_nul"}]


def _nul_at(value: Any, loc: list[str | int]) -> list[str | int] | None:
    """Where the first string (or key) holding a NUL is, None when none does (walked without recursion: orjson
    reads bodies nested up to 1,024 deep, beyond Python's recursion limit)."""
    pending: list[tuple[Any, list[str | int]]] = [(value, loc)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in key:
                    return [*where, key]
                pending.append((inner, [*where, key]))
        elif isinstance(item, list):
            pending.extend((inner, [*where, index]) for index, inner in enumerate(item))
    return None
