"""Folders of static files served by Starlette's `StaticFiles` (conditional GET, HEAD, ranges), tagged with a
hash of their content (the same on every machine, unlike a modification time): a URL carrying it as `?v=`
(see `VersionedFiles.url`) is cached for a year, any other for a few minutes."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
UNVERSIONED = "public, max-age=300"
# A file name: no separators, NUL bytes or other oddities ever reach the file system.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@cache
def file_version(path: Path) -> str:
    """A short hash of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class VersionedFiles(StaticFiles):
    """The files of `directory` that `media_types` names (by file name or suffix), mounted at `prefix`;
    `cache_control` overrides the unversioned caching of some files, `headers` go on every file."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        media_types: Mapping[str, str],
        cache_control: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(directory=directory)
        self.root = Path(directory).resolve()
        self.prefix = prefix
        self.media_types = dict(media_types)
        self.cache_control = dict(cache_control or {})
        self.extra_headers = dict(headers or {})

    def media_type(self, name: str) -> str | None:
        return self.media_types.get(name) or self.media_types.get(Path(name).suffix)

    def version(self, name: str) -> str:
        return file_version(self.root / name)

    def size(self, name: str) -> int:
        return (self.root / name).stat().st_size

    def url(self, request: Request, name: str) -> str:
        """Root-relative URL of a file, versioned so it can be cached for a year."""
        return f"{request.scope.get('root_path', '')}{self.prefix}/{name}?v={self.version(name)}"

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not FILE_NAME.fullmatch(path) or self.media_type(path) is None:
            raise HTTPException(404, f"no file {path!r} here")
        return await super().get_response(path, scope)

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        name = Path(full_path).name
        version = self.version(name)
        if QueryParams(scope["query_string"]).get("v") == version:
            cache_control = IMMUTABLE
        else:
            cache_control = self.cache_control.get(name, UNVERSIONED)
        headers = {"Cache-Control": cache_control, "ETag": f'"{version}"', **self.extra_headers}
        media_type = self.media_type(name)
        response = FileResponse(full_path, status_code, headers, media_type, stat_result=stat_result)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response
