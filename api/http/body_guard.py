"""The request body guard: a size limit on every body, and JSON only on API writes."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.error_responses import error_response
from api.http.json_body import json_problems, without_bom

# Bodies up to this size are checked in the event loop (tens of microseconds); larger ones in a worker thread.
IN_LOOP_BYTES = 64_000


class RequestGuard:
    """Refuses bodies over `max_bytes` (413), bodies that are not JSON on the `json_only` paths (415), and there
    JSON that is not standard or holds text no database stores (422, `json_body.py`)."""

    def __init__(self, app: ASGIApp, max_bytes: int, json_only: Callable[[str], bool]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.json_only = json_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            too_large = error_response(413, "payload_too_large", f"the body exceeds {self.max_bytes} bytes")
            await too_large(scope, receive, send)
            return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        has_body = declared not in ("", "0") or "transfer-encoding" in headers
        if has_body and self.json_only(scope["path"]) and content_type != "application/json":
            not_json = error_response(415, "unsupported_media_type", "send the body as application/json")
            await not_json(scope, receive, send)
            return
        if has_body and self.json_only(scope["path"]):
            await self._checked_json(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException passes through FastAPI's body parsing (anything else becomes a 400).
                    raise HTTPException(413, f"the body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)

    async def _checked_json(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The whole body read (at most `max_bytes`), refused unless standard JSON holding storable text
        (`json_body.py`), then handed to the app as one message."""
        chunks: list[bytes] = []
        received, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nothing to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                too_large = error_response(413, "payload_too_large", f"the body exceeds {self.max_bytes} bytes")
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = without_bom(b"".join(chunks))
        # Off the event loop: a megabyte of JSON takes milliseconds to read, and other requests wait meanwhile.
        large = len(body) > IN_LOOP_BYTES
        problems = await anyio.to_thread.run_sync(json_problems, body) if large else json_problems(body)
        if problems:
            where = ".".join(str(part) for part in problems[0]["loc"])
            invalid = error_response(
                422, "validation_error", f"invalid request: {where}: {problems[0]['msg']}", problems
            )
            await invalid(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the client's disconnect

        await self.app(scope, replay, send)
