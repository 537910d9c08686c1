"""A real API process (seeded, with an editor and a contributor key) for the UI tests, and AppTest helpers."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ui" / "app.py"


@dataclass(frozen=True)
class LiveApi:
    url: str
    editor_key: str
    contributor_key: str
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def impact_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment without its IMPACT_* settings, pointed at a private data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPACT_")}
    return env | {"IMPACT_DATA_DIR": str(data_dir), "IMPACT_PUBLIC_BASE_URL": "http://127.0.0.1:8501"}


def impact(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run the `impact` command (as `python -m api.cli`, the venv's entry point) and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"impact {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """`impact seed`, two keys, then `impact serve` on a free port; stopped at the end of the session."""
    workdir = tmp_path_factory.mktemp("ui-api")
    env = impact_env(workdir / "data")
    impact(env, workdir, "seed")
    editor = impact(env, workdir, "keys", "create", "Éditeur UI", "--role", "editor").strip().splitlines()[-1]
    contributor = impact(env, workdir, "keys", "create", "Réseau UI", "--role", "contributor").strip().splitlines()[-1]
    port = free_port()
    log = workdir / "api.log"
    with log.open("wb") as out:
        # cwd is the temp dir so that a developer's .env never configures this API.
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/v1/health", process, log)
        yield LiveApi(url=url, editor_key=editor, contributor_key=contributor, log=log)
    finally:
        stop(process)


@pytest.fixture
def api_url(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the UI at the live API, with empty caches."""
    monkeypatch.setenv("IMPACT_API_BASE_URL", live_api.url)
    st.cache_data.clear()
    return live_api.url


OpenPage = Callable[..., AppTest]


@pytest.fixture
def open_page(api_url: str) -> OpenPage:
    """Run the app on a page (a path under ui/, as st.navigation names it) with a query string."""

    def run(path: str | None = None, /, **query: str | list[str]) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=30)
        if path is None:
            app.query_params = dict(query)
            return checked(app.run())
        app.run()  # registers the pages of st.navigation, so switch_page can find them
        app.switch_page(path)
        app.query_params = dict(query)
        return checked(app.run())

    return run


def checked(app: AppTest) -> AppTest:
    """The app after a run, failing the test on any uncaught exception in a page."""
    assert not app.exception, [e.value for e in app.exception]
    return app


def total_shown(app: AppTest) -> int:
    """The result count the page shows ("**12 pratiques trouvées**")."""
    for block in app.markdown:
        found = re.match(r"\*\*([\d\u202f]+) pratiques?\b", block.value)
        if found:
            return int(found.group(1).replace("\u202f", ""))
    raise AssertionError("no result count on the page")


def facet_counts(app: AppTest, facet: str) -> dict[str, int]:
    """value → count of one facet, read from its checkbox labels ("Rural (38)")."""
    prefix = f"facet__{facet}__"
    counts = {}
    for box in app.checkbox:
        if box.key and box.key.startswith(prefix):
            found = re.search(r"\((\d+)\)$", box.label)
            assert found, box.label
            counts[box.key.removeprefix(prefix)] = int(found.group(1))
    return counts


def hit_titles(app: AppTest) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m.value.split("</h3>")[0])
        for m in app.markdown
        if m.value.startswith('<h3 class="impact-hit-title">')
    ]
