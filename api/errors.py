"""Domain errors raised by the store and services; the API maps them to HTTP answers."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class DomainError(Exception):
    """An error whose message tells the caller what to do."""

    status_code = 400
    code = "bad_request"
    # Seconds the caller should wait before retrying (a `Retry-After` header), when waiting helps.
    retry_after: int | None = None

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


class IdempotencyKeyReused(DomainError):
    """An `Idempotency-Key` sent again with another body: a retry must repeat its request exactly."""

    status_code = 422
    code = "idempotency_key_reused"


class ExternalIdTaken(DomainError):
    """A submission whose `external_id` names a practice already submitted with other content."""

    status_code = 409
    code = "external_id_taken"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class InvalidTerritory(DomainError):
    """A territory the referential contradicts (a submitted one, or `like_territory`): a 422 shaped like a
    validation error, at `within` + `field`."""

    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, message: str, within: tuple[str, ...] = ("body", "territory")):
        loc = [*within, field]
        super().__init__(
            f"invalid request: {'.'.join(loc)}: {message}", [{"loc": loc, "msg": message, "type": "territory"}]
        )


def describe_validation_error(error: ValidationError) -> str:
    """Plain words: `field.path: rule` for each problem."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors(include_url=False)
    )
