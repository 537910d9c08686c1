"""A real API process on a loopback port, seeded, for tests that must cross a real socket."""

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


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def live_api(data_dir: Path, extra_env: dict[str, str] | None = None, seed: bool = True) -> Iterator[LiveApi]:
    """Seed `data_dir`, create one editor and one contributor key, serve the API, stop it after."""
    env = os.environ | {"IMPACT_DATA_DIR": str(data_dir)} | (extra_env or {})
    if seed:
        subprocess.run([sys.executable, "-m", "api.cli", "seed"], env=env, cwd=ROOT, check=True, capture_output=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{(data_dir / 'impact.db').resolve()}")
    editor, _ = store.create_key("Éditeur", Role.EDITOR)
    contributor, _ = store.create_key("Contributeur", Role.CONTRIBUTOR)
    store.close()
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/v1/health", process)
        yield LiveApi(url, data_dir, editor, contributor)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
