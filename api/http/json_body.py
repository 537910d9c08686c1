"""What a JSON body may hold before any route reads it: standard JSON (RFC 8259), text that can be stored.

Python's `json` module, which FastAPI parses bodies with, accepts `NaN` and `Infinity` and strings holding a lone
UTF-16 surrogate (`"\\ud800"`): no database stores the latter, no JSON answer can echo either, so each ended in a
500. PostgreSQL refuses the NUL character (U+0000) in text. Such a body is refused here with a 422 naming where the
problem is, in the shape of every validation error (`error_responses.py`).

The check runs before authentication, on bodies of at most `IMPACT_MAX_BODY_BYTES`: its work is one strict parse,
and a walk of the parsed body only when the bytes hold an escaped NUL (`\\u0000`, the only way JSON writes one),
each value visited once with a link to its parent (a location is spelt out only for the NUL found).
"""

from __future__ import annotations

from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, which JSON readers may ignore (RFC 8259 §8.1); orjson refuses it
ESCAPED_NUL = b"\\u0000"


def without_bom(body: bytes) -> bytes:
    return body[len(BOM) :] if body.startswith(BOM) else body


def json_problems(body: bytes) -> list[dict[str, Any]]:
    """The body's problems as validation details (`loc`, `msg`, `type`), none when it is fine or empty."""
    if not body.strip():
        return []  # no body: the route says whether it needs one
    try:
        value = orjson.loads(body)  # strict: no NaN or Infinity, no lone surrogate, valid UTF-8
    except orjson.JSONDecodeError as exc:
        return [{"loc": ["body"], "msg": f"not standard JSON: {exc}", "type": "json_invalid"}]
    where = _nul_at(value) if ESCAPED_NUL in body.lower() else None
    if where is None:
        return []
    return [{"loc": where, "msg": "text may not hold the NUL character (U+0000)", "type": "string_nul"}]


# A value to visit: (value, its key in its parent, the parent's own entry), so a location costs nothing until needed.
Entry = tuple[Any, "str | int", "Any"]


def _nul_at(value: Any) -> list[str | int] | None:
    """The location of a string (or key) holding a NUL, None when none does (walked without recursion: orjson
    reads bodies nested up to 1,024 deep, beyond Python's recursion limit)."""
    pending: list[Entry] = [(value, "body", None)]
    while pending:
        entry = pending.pop()
        item = entry[0]
        if isinstance(item, str):
            if "\x00" in item:
                return _location(entry)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in key:
                    return [*_location(entry), key]
                if isinstance(inner, str | dict | list):
                    pending.append((inner, key, entry))
        elif isinstance(item, list):
            pending.extend(
                (inner, index, entry) for index, inner in enumerate(item) if isinstance(inner, str | dict | list)
            )
    return None


def _location(entry: Entry | None) -> list[str | int]:
    path: list[str | int] = []
    while entry is not None:
        path.append(entry[1])
        entry = entry[2]
    return path[::-1]
