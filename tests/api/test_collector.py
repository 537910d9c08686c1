"""Start-up's long-lived objects are frozen out of the garbage collector's reach while the app serves,
and handed back at shutdown."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings


def test_startup_objects_are_frozen_while_serving(settings: Settings) -> None:
    gc.unfreeze()
    with TestClient(create_app(settings)) as client:
        # The territories referential alone is more than 100,000 objects.
        assert gc.get_freeze_count() > 100_000
        assert client.get("/api/v1/search", params={"q": "mobilité"}).status_code == 200
        # A full collection now walks only what was created since.
        assert len(gc.get_objects()) < gc.get_freeze_count() / 10
    assert gc.get_freeze_count() == 0
