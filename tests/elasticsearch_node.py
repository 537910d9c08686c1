"""Finding a real Elasticsearch node for the tests: a given URL, our own node, or testcontainers.

Where none is possible the Elasticsearch suite is skipped, loudly; with
IMPACT_REQUIRE_ELASTICSEARCH=1 (set by CI) that skip becomes a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "es-node.sh"
TEST_PORT = os.environ.get("IMPACT_TEST_ES_PORT", "9250")


def _require() -> bool:
    return os.environ.get("IMPACT_REQUIRE_ELASTICSEARCH") == "1"


def _unavailable(reason: str) -> None:
    message = f"NO ELASTICSEARCH NODE: {reason}; the Elasticsearch suite did not run"
    if _require():
        pytest.fail(message + " (IMPACT_REQUIRE_ELASTICSEARCH=1)", pytrace=False)
    print("\n" + "!" * 100 + f"\n{message}\n" + "!" * 100)
    pytest.skip(message)


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


@contextmanager
def _own_node() -> Iterator[str]:
    env = os.environ | {"IMPACT_ES_PORT": TEST_PORT}
    started = subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        raise RuntimeError(f"scripts/es-node.sh start failed:\n{started.stderr[-3000:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True)


@contextmanager
def _container() -> Iterator[str]:
    from testcontainers.elasticsearch import ElasticSearchContainer

    with ElasticSearchContainer("docker.elastic.co/elasticsearch/elasticsearch:9.2.0", mem_limit="1g") as es:
        yield es.get_url()


@contextmanager
def elasticsearch_url() -> Iterator[str]:
    """The URL of a live node for the session, in this order of preference."""
    given = os.environ.get("IMPACT_ELASTICSEARCH_URL")
    if given:
        yield given
        return
    if os.environ.get("IMPACT_TEST_ES_START", "1") == "1" and SCRIPT.exists() and shutil.which("bash"):
        try:
            with _own_node() as url:
                yield url
                return
        except RuntimeError as exc:
            if not _docker_answers():
                _unavailable(str(exc))
    if _docker_answers():
        with _container() as url:
            yield url
        return
    _unavailable("no IMPACT_ELASTICSEARCH_URL, scripts/es-node.sh could not start one, and no Docker engine")
