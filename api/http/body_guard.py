"""The request body guard: a size limit on every body, and JSON only on API writes."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.error_responses import error_response


class RequestGuard:
    """Refuses bodies over `max_bytes` (413), and bodies that are not JSON on the `json_only` paths (415)."""

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
