"""A write workload over real HTTP, and the check that the index equals the store."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from api.store import Store
from indexer.engine import SearchEngine
from tests.api.conftest import payload


@dataclass
class Acknowledged:
    """What the API acknowledged: created ids, and the newest version each write answered with."""

    versions: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, monograph_id: str, version: int) -> None:
        with self.lock:
            self.versions[monograph_id] = max(version, self.versions.get(monograph_id, 0))


def body(tag: str, n: int) -> dict[str, Any]:
    return payload(
        status="published", title=f"Pratique {tag} numéro {n}", external_id=f"{tag}-{n}", tags=[f"lot-{tag}"]
    )


def write_workload(
    urls: list[str],
    key: str,
    operations: int,
    tag: str | None = None,
    updates: float = 0.3,
    threads: int = 8,
    on_progress: Callable[[int], None] | None = None,
    seed: int = 7,
) -> Acknowledged:
    """`operations` writes spread over the API processes: creates, and updates of monographs created
    earlier (a 409 on a concurrent update is read again and retried). Connection errors are allowed
    (a process may be killed meanwhile): only acknowledged writes are recorded."""
    tag = tag or uuid.uuid4().hex[:6]
    done = Acknowledged()
    counter = iter(range(operations))
    counter_lock = threading.Lock()
    headers = {"X-API-Key": key}

    def one(client: httpx.Client, rng: random.Random) -> None:
        with counter_lock:
            n = next(counter, None)
        if n is None:
            raise StopIteration
        url = urls[n % len(urls)]
        with done.lock:
            known = list(done.versions)
        try:
            if known and rng.random() < updates:
                target = rng.choice(known)
                for _ in range(5):
                    current = client.get(f"{url}/api/v1/monographs/{target}", headers=headers)
                    if current.status_code != 200:
                        break
                    changed = body(tag, n) | {"title": f"Pratique {tag} zirconium {n}", "external_id": None}
                    changed.pop("status")
                    changed.pop("external_id")
                    answer = client.put(
                        f"{url}/api/v1/monographs/{target}",
                        json=changed,
                        headers=headers | {"If-Match": current.headers["ETag"]},
                    )
                    if answer.status_code == 200:
                        done.record(target, answer.json()["version"])
                        break
                    if answer.status_code != 409:
                        done.errors.append(f"PUT {answer.status_code}: {answer.text[:200]}")
                        break
            else:
                answer = client.post(f"{url}/api/v1/monographs", json=body(tag, n), headers=headers)
                if answer.status_code in (200, 201):
                    done.record(answer.json()["id"], answer.json()["version"])
                else:
                    done.errors.append(f"POST {answer.status_code}: {answer.text[:200]}")
        except httpx.TransportError:
            pass  # the process was killed: this write was not acknowledged
        if on_progress:
            on_progress(n)

    def worker(index: int) -> None:
        rng = random.Random(seed + index)
        with httpx.Client(timeout=30) as client:
            while True:
                try:
                    one(client, rng)
                except StopIteration:
                    return

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker, i) for i in range(threads)]:
            future.result()
    return done


def index_equals_store(store: Store, engine: SearchEngine) -> tuple[bool, str]:
    """Whether the index holds exactly the published monographs, each at its stored version."""
    expected = dict(store.published_versions())
    indexed = engine.versions()
    if indexed == expected:
        return True, f"{len(expected)} documents, same ids and versions"
    missing = sorted(set(expected) - set(indexed))[:5]
    extra = sorted(set(indexed) - set(expected))[:5]
    stale = sorted(i for i in expected if i in indexed and indexed[i] != expected[i])[:5]
    return False, f"index {len(indexed)} vs store {len(expected)}: missing {missing}, extra {extra}, stale {stale}"
