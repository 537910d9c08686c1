from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.store import Store
from schemas.monograph import MonographContent
from tests.corpus import CORPUS


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'impact.db'}")
    yield store
    store.close()


@pytest.fixture
def content() -> MonographContent:
    return CORPUS[0].content()
