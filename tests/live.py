"""Real processes on loopback ports for tests that must cross a real socket: the API (seeded,
with an editor and a contributor key) and any server a test starts, with their logs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.store import Role, Store

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveApi:
    url: str
    data_dir: Path
    editor_key: str
    contributor_key: str
    log: Path


def api_command(port: int) -> list[str]:
    """One API process on loopback, started as in production: uvicorn calling the app factory."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def impact_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without its IMPACT_* settings (a developer's own configuration
    never leaks in; the IMPACT_REQUIRE_* switches of CI stay), pointed at a private data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPACT_") or k.startswith("IMPACT_REQUIRE_")}
    return env | {"IMPACT_DATA_DIR": str(data_dir), "IMPACT_PUBLIC_BASE_URL": "http://127.0.0.1:8501"} | (extra or {})


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Wait for `url` to answer 200; fail with the end of the server's log if it dies or stays silent."""
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


@contextmanager
def serve(command: list[str], health_url: str, env: dict[str, str], log: Path, cwd: Path) -> Iterator[None]:
    """Run a server process until the block ends, once `health_url` answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(health_url, process, log)
        yield
    finally:
        stop(process)


@contextmanager
def live_api(data_dir: Path, extra_env: dict[str, str] | None = None, seed: bool = True) -> Iterator[LiveApi]:
    """`impact seed` into `data_dir`, one editor and one contributor key, then uvicorn on a free port."""
    data_dir.mkdir(parents=True, exist_ok=True)
    workdir = data_dir.parent
    env = impact_env(data_dir, extra_env)
    if seed:
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "seed"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"impact seed failed:\n{done.stdout}\n{done.stderr}"
    store = Store(f"sqlite:///{(data_dir / 'impact.db').resolve()}")
    editor, _ = store.create_key("Éditeur", Role.EDITOR)
    contributor, _ = store.create_key("Contributeur", Role.CONTRIBUTOR)
    store.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"api-{port}.log"
    # cwd is the data dir's parent, so a developer's .env never configures this API.
    with serve(api_command(port), f"{url}/api/v1/health", env | {"PYTHONPATH": str(ROOT)}, log, workdir):
        yield LiveApi(url, data_dir, editor, contributor, log)
