"""The embedded engine has one writer process: a second API process is refused with a clear
message, and the CLI works while the API serves, its changes made searchable by the API."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.corpus import CORPUS
from tests.reliability.processes import ApiProcess, wait_for


def _total(api: ApiProcess, **params: str) -> int:
    answer = httpx.get(f"{api.url}/api/v1/search", params=params | {"size": "1"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"])


def test_second_api_process_is_refused_and_the_cli_works_while_the_api_serves(tmp_path: Path) -> None:
    env = {"IMPACT_OUTBOX_INTERVAL": "0.2", "IMPACT_RATE_LIMIT_PER_MINUTE": "0"}
    api = ApiProcess(tmp_path, env).start()
    try:
        second = ApiProcess(tmp_path, env, name="second")
        second.start(wait=False)
        assert second.wait_exit(timeout=60) != 0
        log = second.log.read_text()
        assert "written by another process" in log and "single API process" in log, log[-2000:]
        assert _total(api) == 0  # the first one still serves

        # seed while the API runs: stored by the CLI, indexed by the API's outbox worker.
        seeded = api.cli("seed")
        assert seeded.returncode == 0, seeded.stderr
        assert "left to the running API" in seeded.stderr
        wait_for(lambda: _total(api) == 64, timeout=30)

        lines = [
            json.dumps(m.model_dump(mode="json") | {"id": f"import-{m.id}", "status": "published"}) for m in CORPUS[:3]
        ]
        (tmp_path / "import.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        imported = api.cli("import", str(tmp_path / "import.jsonl"))
        assert imported.returncode == 0, imported.stderr
        wait_for(lambda: _total(api) == 64 + sum(1 for m in CORPUS[:3] if m.status == "published"), timeout=30)

        created = api.cli("keys", "create", "Réseau pendant le service", "--role", "editor")
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[-1]
        me = httpx.get(f"{api.url}/api/v1/keys/me", headers={"X-API-Key": key}, timeout=10)
        assert me.status_code == 200 and me.json()["role"] == "editor"

        before = _total(api)
        rebuilt = api.cli("rebuild")
        assert rebuilt.returncode == 0 and "queued" in rebuilt.stderr, rebuilt.stderr
        wait_for(lambda: api.health()["index"]["backlog"] == 0, timeout=60)
        assert _total(api) == before and api.health()["status"] == "ok"
    finally:
        api.stop()
