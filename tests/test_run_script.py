"""`scripts/run.sh`, what `make run` serves: the seeded API and the UI on the ports asked,
every link pointing at them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.live import ROOT, free_port, impact_env


def test_run_script_serves_the_seeded_api_and_the_ui_on_the_ports_asked(tmp_path: Path) -> None:
    api_port, ui_port = free_port(), free_port()
    env = impact_env(tmp_path / "data", {"IMPACT_API_PORT": str(api_port), "IMPACT_UI_PORT": str(ui_port)})
    # Exactly what the script sets for the addresses, nothing of this test's own (`impact_env` sets the UI's).
    del env["IMPACT_PUBLIC_BASE_URL"]
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 300
        while b"is ready" not in log.read_bytes():
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        api, ui = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
        found = httpx.get(f"{api}/api/v1/search", params={"q": "tiers-lieu"}, timeout=30).json()
        assert found["total"] > 0 and found["hits"][0]["url"].startswith(f"{ui}/fiche?id=")
        atom = httpx.get(f"{api}/feeds/search.atom", params={"q": "mobilité"}, timeout=30).text
        assert f'href="{api}/feeds/search.atom?q=' in atom and ":8000/" not in atom
        builder = httpx.get(f"{api}/embed/builder", timeout=30).text
        assert api in builder and ":8000/" not in builder
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{ui}/_stcore/health", timeout=5).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)  # the script stops the API and the UI it started
        try:
            process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # anything the script left behind
