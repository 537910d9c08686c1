"""Real processes a reliability test can start, kill with SIGKILL and restart: API processes on
loopback ports, and an Elasticsearch node of its own (never the session's shared node)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import ROOT, api_command, free_port, impact_env, stop, wait_until_up

ES_SCRIPT = ROOT / "scripts" / "es-node.sh"


class ApiProcess:
    """`uvicorn --factory api.main:create_app` with the given IMPACT_* settings, on a free loopback port."""

    def __init__(self, workdir: Path, env: dict[str, str], name: str = "api") -> None:
        self.workdir = workdir
        self.env = impact_env(workdir / "data", env) | {"PYTHONPATH": str(ROOT)}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> ApiProcess:
        command = api_command(self.port)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
            )
        if wait:
            self.wait_up()
        return self

    def wait_up(self) -> None:
        assert self.process is not None
        wait_until_up(f"{self.url}/api/v1/search?size=1", self.process, self.log, timeout=120)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, like a crash or an OOM kill."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)

    def wait_exit(self, timeout: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(f"{self.url}/api/v1/health", timeout=10).json()
        return answer

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`impact ARGS` with this process's settings."""
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cli_process(self, *args: str) -> subprocess.Popen[bytes]:
        """`impact ARGS` started in the background (to be killed), output in this process's log."""
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "api.cli", *args], env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )


class EsNode:
    """A single Elasticsearch node of the test's own (scripts/es-node.sh), which it may kill."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.run_dir = Path(f"/tmp/impact-es-{port}")
        self.env = os.environ | {"IMPACT_ES_PORT": str(port), "IMPACT_ES_RUN_DIR": str(self.run_dir)}
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> str:
        done = subprocess.run(["bash", str(ES_SCRIPT), "start"], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"scripts/es-node.sh start failed on port {self.port}:\n{done.stderr[-3000:]}")
        return self.url

    def pid(self) -> int:
        return int((self.run_dir / "elasticsearch.pid").read_text().strip())

    def kill(self) -> None:
        """SIGKILL the node's JVM and wait until its port refuses connections."""
        os.kill(self.pid(), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)
            except httpx.HTTPError:
                return
            time.sleep(0.2)
        raise AssertionError("the killed Elasticsearch node still answers")

    def stop(self) -> None:
        subprocess.run(["bash", str(ES_SCRIPT), "stop"], env=self.env, capture_output=True)


def wait_for(condition: Callable[[], object], timeout: float = 60.0, every: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")
