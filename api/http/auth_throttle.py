"""Throttling of failed authentications, per client address and per API key id.

Keys look like `imp_<id>_<secret>`. Every wrong or revoked key counts one failure for the client address
that sent it and, when it names a key id, for that id (someone guessing one key's secret from many
addresses). Once a window is full, requests carrying a key from that address, or naming that key id,
get 429 + `Retry-After` without being checked, until the window has room again; wrong keys checked
concurrently while the window filled get 429 too, so no more than the limit ever get 401. Requests
without a key are not affected, and a valid key from another address keeps working. Each failure is logged at INFO,
the start of a throttle at WARNING (at most once a minute per address or key id).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from limits import RateLimitItemPerMinute
from limits.storage import Storage

from api.errors import DomainError
from api.http.rate_limit import RateLimitItem, Windows

log = logging.getLogger(__name__)

KEY_ID = re.compile(r"imp_([0-9a-f]{12})_[A-Za-z0-9_-]{20,}")


class TooManyFailedAttempts(DomainError):
    status_code = 429
    code = "too_many_failed_authentications"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed API keys from your address or for this key; retry in {retry_after} s",
            {"retry_after": retry_after},
        )
        self.retry_after = retry_after


def key_id(plaintext: str) -> str | None:
    """The public id a key names (`imp_<id>_…`), or None for anything not shaped like one of our keys."""
    match = KEY_ID.fullmatch(plaintext)
    return match.group(1) if match else None


class FailedAuthThrottle:
    def __init__(self, storage: Storage, per_client: list[RateLimitItem], per_key: list[RateLimitItem]) -> None:
        self.windows = Windows(storage, {"auth-client": per_client, "auth-key": per_key})
        # One warning a minute per throttled address or key id.
        self.warnings = Windows(storage, {"auth-warning": [RateLimitItemPerMinute(1)]})

    def check(self, client: str, plaintext: str) -> None:
        """Raise `TooManyFailedAttempts` when this address or this key id is throttled."""
        self._refuse_if_full(client, plaintext, self.windows.test)

    def failed(self, client: str, plaintext: str) -> None:
        """Count a wrong or revoked key sent by `client`; raise `TooManyFailedAttempts` instead of letting
        the caller answer 401 when the window filled meanwhile (concurrent wrong keys all passed `check`)."""
        log.info("failed API key from %s (key id %s)", client, key_id(plaintext) or "malformed")
        self._refuse_if_full(client, plaintext, self.windows.hit)

    def _refuse_if_full(self, client: str, plaintext: str, count: Callable[[str, str], int]) -> None:
        named = key_id(plaintext)
        waits = {f"client {client}": count("auth-client", client)}
        if named is not None:
            waits[f"key id {named}"] = count("auth-key", named)
        throttled = {what: wait for what, wait in waits.items() if wait}
        if not throttled:
            return
        for what, wait in throttled.items():
            if self.warnings.hit("auth-warning", what) == 0:  # once a minute per address or key id
                log.warning("failed API keys throttled (%s): 429 for %d s", what, wait)
        raise TooManyFailedAttempts(max(throttled.values()))
