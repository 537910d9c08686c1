"""The outbox in the store: claims shared by processes, rejections, dead letters, leases."""

from __future__ import annotations

import threading
import time

from api.store import Store
from schemas.monograph import MonographContent, Status


def _create(store: Store, content: MonographContent, n: int) -> list[str]:
    return [
        store.create(content.model_copy(update={"title": f"Pratique {i}"}), Status.PUBLISHED, "k")[0].id
        for i in range(n)
    ]


def test_claimed_entries_are_not_claimed_twice_until_released(store: Store, content: MonographContent) -> None:
    ids = _create(store, content, 3)
    first = store.claim(2, "a", lease_seconds=60)
    assert [e.monograph_id for e in first] == ids[:2]
    second = store.claim(10, "b", lease_seconds=60)
    assert [e.monograph_id for e in second] == ids[2:]
    assert store.claim(10, "c", lease_seconds=60) == []
    store.release([e.seq for e in first], "node down")  # the engine could not be reached
    again = store.claim(10, "c", lease_seconds=60)
    assert [e.monograph_id for e in again] == ids[:2]
    assert all(e.attempts == 0 for e in again)  # unreachable is never an attempt
    store.complete([e.seq for e in again + second])
    assert store.backlog() == 0


def test_an_expired_lease_lets_another_process_take_over(store: Store, content: MonographContent) -> None:
    _create(store, content, 1)
    assert len(store.claim(10, "crashed", lease_seconds=0.2)) == 1
    assert store.claim(10, "other", lease_seconds=60) == []
    time.sleep(0.3)
    assert len(store.claim(10, "other", lease_seconds=60)) == 1


def test_rejections_count_back_off_then_go_to_the_dead_letters(store: Store, content: MonographContent) -> None:
    (monograph_id,) = _create(store, content, 1)
    (entry,) = store.claim(10, "a", 60)
    assert store.reject({entry.seq: "mapper_parsing_exception"}, max_attempts=2) == []
    assert store.claim(10, "a", 60) == []  # backing off
    assert store.pending()[0].attempts == 1
    assert store.reject({entry.seq: "mapper_parsing_exception again"}, max_attempts=2) == [entry.seq]
    assert store.backlog() == 0
    (dead,) = store.dead_letters()
    assert (dead.monograph_id, dead.version, dead.attempts) == (monograph_id, 1, 2)
    assert dead.error == "mapper_parsing_exception again"
    stats = store.outbox_stats()
    assert (stats.pending, stats.dead) == (0, 1)
    assert store.retry_dead() == 1
    assert store.outbox_stats().dead == 0 and [e.monograph_id for e in store.claim(10, "a", 60)] == [monograph_id]


def test_stats_give_the_oldest_pending_age(store: Store, content: MonographContent) -> None:
    assert store.outbox_stats().oldest_pending_seconds() == 0.0
    _create(store, content, 2)
    time.sleep(0.2)
    stats = store.outbox_stats()
    assert stats.pending == 2 and 0.2 <= stats.oldest_pending_seconds() < 30


def test_concurrent_claimers_share_the_work_without_overlap(store: Store, content: MonographContent) -> None:
    ids = _create(store, content, 60)
    taken: list[list[str]] = [[] for _ in range(4)]

    def worker(n: int) -> None:
        while entries := store.claim(7, f"w{n}", 60):
            taken[n].extend(e.monograph_id for e in entries)
            store.complete([e.seq for e in entries])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = [i for part in taken for i in part]
    assert sorted(everything) == sorted(ids) and len(everything) == len(set(everything))
    assert store.backlog() == 0


def test_enqueue_and_enqueue_all(store: Store, content: MonographContent) -> None:
    ids = _create(store, content, 3)
    store.complete([e.seq for e in store.claim(10, "a", 60)])
    assert store.enqueue([ids[0], ids[0], ids[1]]) == 2
    assert store.enqueue_all() == 3
    assert store.backlog() == 5


def test_a_maintenance_lease_has_one_owner_at_a_time(store: Store) -> None:
    assert store.acquire_lease("index-rebuild", "a", 60)
    assert not store.acquire_lease("index-rebuild", "b", 60)
    assert store.acquire_lease("index-rebuild", "a", 60)  # renewal
    store.release_lease("index-rebuild", "a")
    assert store.acquire_lease("index-rebuild", "b", 0.1)
    time.sleep(0.2)
    assert store.acquire_lease("index-rebuild", "a", 60)  # expired
