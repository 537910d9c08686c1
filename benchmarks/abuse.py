"""`python -m benchmarks.abuse`: the abuse cases of a public API, against one real API process with its
DEFAULT limits, on a large store (100,000 generated monographs by default): (a) 1,000 wrong API keys,
(b) 10,000-value facet lists on /api/v1/search, /embed and /feeds, (c) 100 concurrent feed requests
matching nothing. Meanwhile a normal user (another loopback address) searches and reads fiches; their
p95 is recorded per case. Every answer's status, time and size are recorded. See benchmarks/README.md
(section *Abuse cases*)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import string
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from benchmarks.corpus import CorpusGenerator
from benchmarks.loopback import Prepared, bound_client, health, log_problems, prepare, process_snapshot, stats
from benchmarks.progress import PhaseBar
from benchmarks.queries import query_mix
from benchmarks.report import record, table_row
from benchmarks.run import console, machine
from tests.reliability.processes import ApiProcess

ROOT = Path(__file__).resolve().parent.parent
# Every setting at its default (rate limits and failed-key throttling on) but lexical search: embedding the
# store in the background would be the load measured (hybrid search: benchmarks/hybrid.py).
API_ENV: dict[str, str] = {"IMPACT_EMBEDDER": "none"}
ATTACK_TIMEOUT = 120.0  # an attack request still unanswered after this is recorded as "timeout"
USER_TIMEOUT = 30.0
USER_ADDRESS = "127.0.0.2"  # the normal user
# Each case comes from its own address, so that one case's rate-limit windows do not decide the next one's.
ATTACKERS = {"wrong_keys": "127.0.0.1", "facet_lists": "127.0.0.3", "concurrent_feeds": "127.0.0.4"}
USER_THINK_S = 0.1  # the normal user's pause between two requests
HEAD = 160  # characters of each answer kept as a sample
MAX_CASE_REQUESTS = 500  # an attacker address's requests per case at most: under the 600/10 s read burst
# uvicorn's parser refuses longer request lines (somewhere between 62 and 104 KB) before the app sees them:
# besides the 10,000 values, the longest list of distinct junk values under this size is sent too.
FITTING_BYTES = 60_000


@dataclass(frozen=True)
class Plan:
    size: int
    wrong_keys: int
    key_concurrency: int
    facet_values: int
    facet_repeats: int
    facet_concurrency: int
    feeds: int
    baseline_s: float
    cooldown_s: float
    min_case_s: float


# -- one request's outcome ----------------------------------------------------------------------


@dataclass
class Outcome:
    status: str  # HTTP status, "timeout" or the transport error's name
    seconds: float
    bytes: int
    request_bytes: int
    code: str | None = None  # the JSON error's `code`, when there is one
    head: str = ""  # the answer's first characters


def error_code(answer: httpx.Response) -> str | None:
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = answer.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code"))
    return str(body.get("code")) if isinstance(body, dict) and "code" in body else None


async def fetch(http: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> Outcome:
    request_bytes = len(url) + sum(len(k) + len(v) + 4 for k, v in (headers or {}).items())
    started = time.perf_counter()
    try:
        answer = await http.get(url, headers=headers)
    except httpx.TimeoutException:
        return Outcome("timeout", time.perf_counter() - started, 0, request_bytes)
    except httpx.HTTPError as exc:
        return Outcome(type(exc).__name__, time.perf_counter() - started, 0, request_bytes)
    elapsed = time.perf_counter() - started
    head = answer.content[:HEAD].decode("utf-8", "replace")
    return Outcome(str(answer.status_code), elapsed, len(answer.content), request_bytes, error_code(answer), head)


async def raw_get(address: str, url: str, timeout: float = ATTACK_TIMEOUT) -> Outcome:
    """A GET over a bare socket from `address`, for request lines longer than httpx allows (64 KB):
    `Connection: close`, the answer read to its end (chunked bodies decoded), its body's bytes counted."""
    split = urlsplit(url)
    target = f"{split.path}?{split.query}" if split.query else split.path
    request = f"GET {target} HTTP/1.1\r\nHost: {split.netloc}\r\nConnection: close\r\n\r\n".encode()
    started = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(split.hostname, split.port, local_addr=(address, 0))
            writer.write(request)
            await writer.drain()
            raw = await reader.read()
    except TimeoutError:
        return Outcome("timeout", time.perf_counter() - started, 0, len(request))
    except OSError as exc:
        return Outcome(type(exc).__name__, time.perf_counter() - started, 0, len(request))
    finally:
        if writer is not None:
            writer.close()
    elapsed = time.perf_counter() - started
    header_block, _, body = raw.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    if not lines or len(lines[0].split()) < 2:
        return Outcome("no answer" if not raw else "malformed answer", elapsed, len(raw), len(request))
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    code = None
    if headers.get("content-type", "").startswith("application/json"):
        with contextlib.suppress(ValueError, AttributeError):
            code = json.loads(body).get("error", {}).get("code")
    head = body[:HEAD].decode("utf-8", "replace")
    return Outcome(lines[0].split()[1], elapsed, len(body), len(request), code, head)


def dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    times = [o.seconds for o in outcomes]
    return {
        "requests": len(outcomes),
        "status_codes": dict(sorted(Counter(o.status for o in outcomes).items())),
        "error_codes": dict(sorted(Counter(o.code for o in outcomes if o.code).items())),
        "time_ms": stats(times),
        "max_bytes": max((o.bytes for o in outcomes), default=0),
        "total_bytes": sum(o.bytes for o in outcomes),
        "max_request_bytes": max((o.request_bytes for o in outcomes), default=0),
        "sample_answers": {o.status: o.head for o in reversed(outcomes)},
    }


async def flood(
    http: httpx.AsyncClient,
    requests: list[tuple[str, dict[str, str] | None]],
    concurrency: int,
    tick: Callable[[int], None],
) -> list[Outcome]:
    """Every request sent, `concurrency` at a time."""
    slots = asyncio.Semaphore(concurrency)
    done = 0

    async def one(url: str, headers: dict[str, str] | None) -> Outcome:
        nonlocal done
        async with slots:
            outcome = await fetch(http, url, headers)
        done += 1
        tick(done)
        return outcome

    return list(await asyncio.gather(*(one(u, h) for u, h in requests)))


# -- the normal user ----------------------------------------------------------------------------


@dataclass
class UserSample:
    at: float
    seconds: float
    status: str
    kind: str


@dataclass
class NormalUser:
    """Searches (the benchmark's query mix) and fiches, one after the other, from its own address."""

    url: str
    ids: list[str]
    queries: list[list[tuple[str, Any]]]
    samples: list[UserSample] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        rng = random.Random(3)
        async with bound_client(USER_ADDRESS, 2, USER_TIMEOUT) as http:
            n = 0
            while not self.stop.is_set():
                if n % 2 == 0:
                    kind, target = "search", f"{self.url}/api/v1/search?{urlencode(rng.choice(self.queries))}"
                else:
                    kind, target = "fiche", f"{self.url}/api/v1/monographs/{rng.choice(self.ids)}"
                started = time.perf_counter()
                outcome = await fetch(http, target)
                self.samples.append(UserSample(started, outcome.seconds, outcome.status, kind))
                n += 1
                await asyncio.sleep(USER_THINK_S)

    def window(self, start: float, end: float) -> dict[str, Any]:
        """What the user saw for requests sent between `start` and `end`."""
        chosen = [s for s in self.samples if start <= s.at <= end]
        ok = [s.seconds for s in chosen if s.status == "200"]
        return {
            "requests": len(chosen),
            "not_200": sum(s.status != "200" for s in chosen),
            "status_codes": dict(sorted(Counter(s.status for s in chosen).items())),
            "time_ms": stats(ok),
            "search_ms": stats([s.seconds for s in chosen if s.kind == "search" and s.status == "200"]),
            "fiche_ms": stats([s.seconds for s in chosen if s.kind == "fiche" and s.status == "200"]),
        }


# -- progress -------------------------------------------------------------------------------


# -- the cases ------------------------------------------------------------------------------


def wrong_keys(count: int, editor_key_id: str, rng: random.Random) -> list[tuple[str, dict[str, str] | None]]:
    """Well-formed keys naming unknown ids, well-formed keys naming the real editor key's id with a wrong
    secret (someone guessing one key), and junk of every length, in X-API-Key or `Authorization: Bearer`."""
    alphabet = string.ascii_letters + string.digits + "-_"
    requests: list[tuple[str, dict[str, str] | None]] = []
    for n in range(count):
        kind = n % 5
        if kind in (0, 1):
            key = f"imp_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
        elif kind in (2, 3):
            key = f"imp_{editor_key_id}_{secrets.token_urlsafe(32)}"
        else:
            key = "".join(rng.choice(alphabet) for _ in range(rng.choice((1, 8, 40, 200, 4000))))
        headers = {"X-API-Key": key} if n % 2 == 0 else {"Authorization": f"Bearer {key}"}
        requests.append(("/api/v1/monographs?status=submitted", headers))
    return requests


FACET_ROUTES = ("/api/v1/search", "/embed", "/feeds/search.atom")


def facet_variants(values: int) -> dict[str, str]:
    """The two huge facet lists, as query strings."""
    fitting = 0
    while (
        fitting < values
        and len(urlencode([("territory_type", f"x{i}") for i in range(fitting + 100)])) <= FITTING_BYTES
    ):
        fitting += 100
    return {
        f"odd=3 ×{values}": urlencode([("odd", "3")] * values),
        f"{values} distinct junk territory_type": urlencode([("territory_type", f"x{i}") for i in range(values)]),
        f"{fitting} distinct junk territory_type (≤ {FITTING_BYTES // 1000} KB)": urlencode(
            [("territory_type", f"x{i}") for i in range(fitting)]
        ),
    }


async def case_wrong_keys(url: str, plan: Plan, prepared: Prepared, bar: PhaseBar) -> dict[str, Any]:
    editor_id = prepared.editor_key.split("_")[1]
    requests = [(f"{url}{path}", h) for path, h in wrong_keys(plan.wrong_keys, editor_id, random.Random(5))]
    tick = bar.start(f"(a) {plan.wrong_keys} wrong API keys", len(requests))
    async with bound_client(ATTACKERS["wrong_keys"], plan.key_concurrency, ATTACK_TIMEOUT) as http:
        outcomes = await flood(http, requests, plan.key_concurrency, tick)
    result = summarise(outcomes)
    # Right after: who can still get in? (the real keys, from the attacker's address and from another one)
    probes: dict[str, Any] = {}
    target = f"{url}/api/v1/monographs?status=submitted"
    async with bound_client(ATTACKERS["wrong_keys"], 1, USER_TIMEOUT) as attacker:
        probes["editor key (its id was named by wrong keys), from the attacker's address"] = await fetch(
            attacker, target, {"X-API-Key": prepared.editor_key}
        )
        probes["no key (anonymous search), from the attacker's address"] = await fetch(
            attacker, f"{url}/api/v1/search?q=tiers-lieux"
        )
    async with bound_client(USER_ADDRESS, 1, USER_TIMEOUT) as other:
        probes["editor key (its id was named by wrong keys), from another address"] = await fetch(
            other, target, {"X-API-Key": prepared.editor_key}
        )
        probes["contributor key (never named), from another address"] = await fetch(
            other, target, {"X-API-Key": prepared.contributor_key}
        )
    result["probes_after"] = {what: {"status": o.status, "code": o.code} for what, o in probes.items()}
    result["attacker_address"] = ATTACKERS["wrong_keys"]
    result["concurrency"] = plan.key_concurrency
    result["kinds"] = (
        "2/5 well-formed keys naming unknown ids, 2/5 naming the real editor key's id with a wrong secret, "
        "1/5 junk of 1 to 4,000 characters; half in X-API-Key, half as Authorization: Bearer; "
        "GET /api/v1/monographs?status=submitted"
    )
    return result


def more_rounds(started: float, sent: int, round_size: int, plan: Plan) -> bool:
    """Whether a case repeats its round: until it has lasted `min_case_s` (so the normal user's p95 rests on
    enough requests), but never past the attacker's burst limit, so answers stay the work, not 429s."""
    return time.perf_counter() - started < plan.min_case_s and sent + round_size <= MAX_CASE_REQUESTS


async def case_facet_lists(url: str, plan: Plan, bar: PhaseBar) -> dict[str, Any]:
    variants = facet_variants(plan.facet_values)
    jobs = [(route, name, query) for route in FACET_ROUTES for name, query in variants.items()]
    round_size = len(jobs) * plan.facet_repeats
    tick = bar.start(f"(b) {plan.facet_values}-value facet lists (requests)", round_size)
    done = 0
    per: dict[str, list[Outcome]] = {f"{route} {name}": [] for route, name, _ in jobs}
    slots = asyncio.Semaphore(plan.facet_concurrency)

    async def one(target: str) -> Outcome:
        nonlocal done
        async with slots:
            outcome = await raw_get(ATTACKERS["facet_lists"], target)
        done += 1
        tick(done)
        return outcome

    started, rounds = time.perf_counter(), 0
    while rounds == 0 or more_rounds(started, done, round_size, plan):
        bar.progress.update(bar.phase, total=done + round_size)
        for route, name, query in jobs:
            per[f"{route} {name}"] += await asyncio.gather(
                *(one(f"{url}{route}?{query}") for _ in range(plan.facet_repeats))
            )
        rounds += 1
    return {
        "per_request": {name: summarise(outcomes) for name, outcomes in per.items()},
        "all": summarise([o for outcomes in per.values() for o in outcomes]),
        "attacker_address": ATTACKERS["facet_lists"],
        "repeats": plan.facet_repeats,
        "rounds": rounds,
        "concurrency": plan.facet_concurrency,
    }


async def case_concurrent_feeds(url: str, plan: Plan, bar: PhaseBar) -> dict[str, Any]:
    """Waves of `feeds` requests sent at once, the next wave when the previous one is answered."""
    target = f"{url}/feeds/search.atom?year_from=2100"
    tick = bar.start(f"(c) {plan.feeds} concurrent feed requests matching nothing", plan.feeds)
    outcomes: list[Outcome] = []
    started, waves = time.perf_counter(), 0

    def advance(base: int, n: int) -> None:
        tick(base + n)

    async with bound_client(ATTACKERS["concurrent_feeds"], plan.feeds, ATTACK_TIMEOUT) as http:
        while waves == 0 or more_rounds(started, len(outcomes), plan.feeds, plan):
            bar.progress.update(bar.phase, total=len(outcomes) + plan.feeds)
            outcomes += await flood(http, [(target, None)] * plan.feeds, plan.feeds, partial(advance, len(outcomes)))
            waves += 1
    return summarise(outcomes) | {
        "request": "/feeds/search.atom?year_from=2100",
        "attacker_address": ATTACKERS["concurrent_feeds"],
        "waves": waves,
        "first_wave": summarise(outcomes[: plan.feeds]),
    }


# -- the run --------------------------------------------------------------------------------


async def peak_rss(pid: int, stop: asyncio.Event, into: dict[str, float]) -> None:
    while not stop.is_set():
        into["peak_rss_mb"] = max(into.get("peak_rss_mb", 0.0), process_snapshot(pid)["rss_mb"])
        await asyncio.sleep(0.2)


async def measure(plan: Plan, prepared: Prepared, api: ApiProcess, bar: PhaseBar) -> dict[str, Any]:
    assert api.process is not None
    pid = api.process.pid
    store = prepared.store()
    try:
        ids = [i for i, _ in store.published_versions()]
    finally:
        store.close()
    rng = random.Random(1)
    user = NormalUser(
        api.url,
        rng.sample(ids, min(2_000, len(ids))),
        [q.query_string() for q in query_mix(CorpusGenerator(), total=240, seed=11)],
    )
    running = asyncio.create_task(user.run())
    out: dict[str, Any] = {"cases": {}, "normal_user": {}, "api_process": {}}
    tick = bar.start(f"normal user alone (baseline, {plan.baseline_s:g} s)", plan.baseline_s)
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < plan.baseline_s:
        tick(elapsed)
        await asyncio.sleep(0.25)
    out["normal_user"]["baseline"] = user.window(started, time.perf_counter())
    bar.done()
    cases: dict[str, Callable[[], Any]] = {
        "wrong_keys": lambda: case_wrong_keys(api.url, plan, prepared, bar),
        "facet_lists": lambda: case_facet_lists(api.url, plan, bar),
        "concurrent_feeds": lambda: case_concurrent_feeds(api.url, plan, bar),
    }
    for name, case in cases.items():
        before = process_snapshot(pid)
        memory: dict[str, float] = {}
        stop = asyncio.Event()
        sampler = asyncio.create_task(peak_rss(pid, stop, memory))
        started = time.perf_counter()
        out["cases"][name] = await case()
        ended = time.perf_counter()
        out["cases"][name]["seconds"] = ended - started
        stop.set()
        await sampler
        out["normal_user"][name] = user.window(started, ended)
        out["api_process"][name] = {
            "rss_before_mb": before["rss_mb"],
            "peak_rss_mb": memory.get("peak_rss_mb", before["rss_mb"]),
            "rss_after_mb": process_snapshot(pid)["rss_mb"],
        }
        bar.done()
        tick = bar.start(f"cool-down ({plan.cooldown_s:g} s)", plan.cooldown_s)
        await asyncio.sleep(plan.cooldown_s)
    user.stop.set()
    await running
    out["normal_user"]["whole_run"] = user.window(0.0, time.perf_counter())
    return out


def run(plan: Plan, out: Path, workdir: Path | None) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"load_average_at_start": os.getloadavg()},
        "plan": plan.__dict__,
        "api_settings": "every IMPACT_* setting at its default (rate limits and failed-key throttling on)",
        "addresses": {"normal_user": USER_ADDRESS, **ATTACKERS},
    }
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="impact-abuse-")) if workdir is None else workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    bar = PhaseBar("abuse cases", 6)
    try:
        with bar.progress:
            bar.start(f"store of {plan.size} generated monographs + seed, then impact rebuild", 1)

            def progress(what: str, done: int, total: int) -> None:
                bar.progress.update(bar.phase, description=f"  {what}", completed=done, total=total)

            prepared = prepare(work, plan.size, API_ENV, progress)
            results["store"] = {
                "published": prepared.published,
                "generated": prepared.generated,
                "setup_s": prepared.seconds,
                "reused_prepared_workdir": prepared.reused,
            }
            bar.done()
            api = ApiProcess(work, API_ENV, name="abuse-api").start()
            try:
                results["health_before"] = health(api.url).get("status")
                results |= asyncio.run(measure(plan, prepared, api, bar))
                results["health_after"] = health(api.url).get("status")
            finally:
                api.stop()
                results["api_log"] = log_problems(api.log)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    results["load_average_at_end"] = os.getloadavg()
    results["seconds"] = time.perf_counter() - started
    results["summary"] = summary_line(results)
    results["files"] = [str(f) for f in record(results, report(results), out, "abuse")]
    return results


# -- report ---------------------------------------------------------------------------------


def _codes(codes: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in codes.items()) or "–"


def _kb(value: float) -> str:
    return f"{value / 1024:,.1f}"


def summary_line(results: dict[str, Any]) -> str:
    c, u = results["cases"], results["normal_user"]
    facets = c["facet_lists"]["all"]

    def p95(name: str) -> str:
        return f"{u[name]['time_ms']['p95']:.0f}"

    return (
        f"abuse on {results['store']['published']} monographs: "
        f"wrong keys {_codes(c['wrong_keys']['status_codes'])} (max {c['wrong_keys']['time_ms']['max']:.0f} ms); "
        f"facet lists {_codes(facets['status_codes'])} (max {facets['time_ms']['max']:.0f} ms, "
        f"max {_kb(facets['max_bytes'])} KB); "
        f"{results['plan']['feeds']} concurrent feeds {_codes(c['concurrent_feeds']['status_codes'])} "
        f"(max {c['concurrent_feeds']['time_ms']['max']:.0f} ms); "
        f"normal user p95 {p95('baseline')} ms alone, {p95('wrong_keys')} / {p95('facet_lists')} / "
        f"{p95('concurrent_feeds')} ms during the cases"
    )


def report(results: dict[str, Any]) -> str:
    m, plan, c, u, mem = (
        results["machine"],
        results["plan"],
        results["cases"],
        results["normal_user"],
        results["api_process"],
    )
    load = " ".join(f"{v:.1f}" for v in m["load_average_at_start"])
    lines = [
        f"# Abuse cases {results['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']} "
        f"(load average at start: {load}). Run: {results['seconds']:.0f} s.",
        "",
        f"One API process (uvicorn, SQLite + embedded engine) on loopback, {results['store']['published']:,} published "
        f"monographs ({results['store']['generated']:,} generated + the seed; store prepared in "
        f"{results['store']['setup_s']:.0f} s"
        + (", reused" if results["store"]["reused_prepared_workdir"] else "")
        + f"). {results['api_settings']}. "
        f"Health before / after: {results['health_before']} / {results['health_after']}.",
        "",
        f"`{results['summary']}`",
        "",
        "## Attacks",
        "",
        table_row(
            [
                "case",
                "requests",
                "status codes",
                "error codes",
                "time p50 / p95 / max ms",
                "max answer KB",
                "max request KB",
                "API RSS before / peak / after MB",
            ]
        ),
        table_row(["---"] * 8),
    ]

    def line(label: str, s: dict[str, Any], memory: dict[str, float] | None) -> str:
        t = s["time_ms"]
        return table_row(
            [
                label,
                s["requests"],
                _codes(s["status_codes"]),
                _codes(s["error_codes"]),
                f"{t['p50']:.0f} / {t['p95']:.0f} / {t['max']:.0f}",
                _kb(s["max_bytes"]),
                _kb(s["max_request_bytes"]),
                f"{memory['rss_before_mb']:.0f} / {memory['peak_rss_mb']:.0f} / {memory['rss_after_mb']:.0f}"
                if memory
                else "",
            ]
        )

    lines.append(
        line(
            f"(a) {plan['wrong_keys']} wrong API keys ({c['wrong_keys']['concurrency']} at a time)",
            c["wrong_keys"],
            mem["wrong_keys"],
        )
    )
    lines.append(
        line(
            f"(b) facet lists of {plan['facet_values']} values, all ({c['facet_lists']['rounds']} rounds, "
            f"{c['facet_lists']['concurrency']} at a time)",
            c["facet_lists"]["all"],
            mem["facet_lists"],
        )
    )
    for name, s in c["facet_lists"]["per_request"].items():
        lines.append(line(f"  (b) {name}", s, None))
    feeds = c["concurrent_feeds"]
    lines.append(
        line(
            f"(c) {plan['feeds']} concurrent `{feeds['request']}`, {feeds['waves']} waves",
            feeds,
            mem["concurrent_feeds"],
        )
    )
    lines.append(line("  (c) first wave", feeds["first_wave"], None))
    lines += [
        "",
        f"(a) {c['wrong_keys']['kinds']}. Right after it:",
        "",
        *[
            f"- {what}: {p['status']}" + (f" (`{p['code']}`)" if p["code"] else "")
            for what, p in c["wrong_keys"]["probes_after"].items()
        ],
        "",
        f"## The normal user ({USER_ADDRESS}: a search, then a fiche, {USER_THINK_S:g} s apart)",
        "",
        table_row(["while", "requests", "not 200", "p50 / p95 / max ms", "search p95 ms", "fiche p95 ms"]),
        table_row(["---"] * 6),
    ]
    for name, label in [
        ("baseline", "alone (baseline)"),
        ("wrong_keys", "(a) wrong keys"),
        ("facet_lists", "(b) facet lists"),
        ("concurrent_feeds", "(c) concurrent feeds"),
        ("whole_run", "whole run"),
    ]:
        w = u[name]
        lines.append(
            table_row(
                [
                    label,
                    w["requests"],
                    w["not_200"],
                    f"{w['time_ms']['p50']:.0f} / {w['time_ms']['p95']:.0f} / {w['time_ms']['max']:.0f}",
                    f"{w['search_ms']['p95']:.0f}",
                    f"{w['fiche_ms']['p95']:.0f}",
                ]
            )
        )
    lines += [
        "",
        f"API log: {results['api_log']['error_lines']} ERROR/Traceback lines, {results['api_log']['warning_lines']} "
        "WARNING lines (uvicorn logs each request line it refuses as a WARNING).",
        "",
        "Every number: the JSON file of the same timestamp. Method: benchmarks/README.md (section *Abuse cases*).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="generated monographs in the store (plus the seed)")
    parser.add_argument(
        "--workdir", type=Path, help="work directory kept between runs: a store prepared there at this size is reused"
    )
    parser.add_argument("--wrong-keys", type=int, default=1_000)
    parser.add_argument("--key-concurrency", type=int, default=10)
    parser.add_argument("--facet-values", type=int, default=10_000)
    parser.add_argument("--facet-repeats", type=int, default=10, help="requests per route and facet list")
    parser.add_argument("--facet-concurrency", type=int, default=4)
    parser.add_argument("--feeds", type=int, default=100, help="concurrent feed requests")
    parser.add_argument("--baseline-seconds", type=float, default=15.0, help="the normal user alone, first")
    parser.add_argument("--cooldown-seconds", type=float, default=5.0, help="pause after each case")
    parser.add_argument(
        "--min-case-seconds",
        type=float,
        default=10.0,
        help="(b) and (c) repeat until they have lasted this long (at most 500 requests each)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    plan = Plan(
        size=args.size,
        wrong_keys=args.wrong_keys,
        key_concurrency=args.key_concurrency,
        facet_values=args.facet_values,
        facet_repeats=args.facet_repeats,
        facet_concurrency=args.facet_concurrency,
        feeds=args.feeds,
        baseline_s=args.baseline_seconds,
        cooldown_s=args.cooldown_seconds,
        min_case_s=args.min_case_seconds,
    )
    results = run(plan, args.out, args.workdir)
    console.print(report(results), markup=False, highlight=False, soft_wrap=True)
    console.print(results["summary"], markup=False, highlight=False, soft_wrap=True)
    console.print(f"results: {', '.join(results['files'])} and {args.out / 'abuse-latest.md'}")


if __name__ == "__main__":
    main()
