from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.embedded import EmbeddedEngine
from tests.corpus import CORPUS
from tests.engines.contract import EngineContract


class TestEmbeddedEngine(EngineContract):
    @pytest.fixture
    def engine(self) -> Iterator[EmbeddedEngine]:
        engine = EmbeddedEngine()
        yield engine
        engine.close()


def test_index_survives_reopening(tmp_path: Path) -> None:
    engine = EmbeddedEngine(tmp_path / "index")
    engine.index(CORPUS)
    engine.close()
    del engine
    reopened = EmbeddedEngine(tmp_path / "index")
    assert len(reopened.ids()) == 7
