"""Domain errors raised by the store and services; the API maps them to HTTP answers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error whose message tells the caller what to do."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class VersionConflict(DomainError):
    status_code = 409
    code = "version_conflict"


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
