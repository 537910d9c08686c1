"""Schema-driven fuzzing of the live API: valid and invalid inputs alike never produce a 5xx,
and every answer matches the documented schema, status codes and content types.

Two runs:
- per operation: each operation gets a bounded number of generated cases, valid and invalid
  (driven by hand with Hypothesis: schemathesis' pytest plugin does not support this pytest yet);
- stateful: schemathesis chains operations along links (create → read → update with its ETag →
  publish → search for it → delete, presets alike), on both engines, within a time budget.
"""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, Unsatisfiable
from hypothesis.stateful import Bundle, rule
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.stateful.state_machine import APIStateMachine, StepInput, StepOutput
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.stateful import collect_transitions

from tests.live import LiveApi, live_api

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES_PER_OPERATION = 30

# Stateful run: up to SCENARIOS scenarios of up to STEPS linked calls, stopped when the budget is spent. At 400 a
# run (about 30 s) reached no successful publication 1 time in 6 on 2026-12-05: its depth check then failed with no
# finding; 600 take about 45 s.
SCENARIOS = 600
STEPS = 12
BUDGET_SECONDS = 75.0
REQUEST_TIMEOUT = 10.0
# Lookups that neither read nor change the practices (autocomplete, suggestions) get no rule of their own
# in the stateful run: the per-operation run fuzzes them, and as rules they took a third of the stateful
# budget (365 autocomplete calls of 1,100) away from the create → update → publish chains.
LOOKUPS = frozenset({"GET /api/v1/territories", "GET /api/v1/suggest"})
# The live API of a stateful run: no rate limit may turn its calls into 429s, and no background embedding
# may take the CPU its chains need (random texts in hybrid mode: tests/engines/test_embedded.py).
UNLIMITED = {"IMPACT_RATE_LIMIT_PER_MINUTE": "0", "IMPACT_RATE_LIMIT_WRITES": "", "IMPACT_EMBEDDER": "none"}


def test_no_server_errors_and_schema_conformance(live: LiveApi) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) >= 12
    headers = {"X-API-Key": live.editor_key}
    ran_without_inputs: list[str] = []
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=live.url, headers=headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # An operation without any input has no invalid input to generate.
            assert mode is GenerationMode.NEGATIVE
            ran_without_inputs.append(operation.label)
    assert len(ran_without_inputs) <= 4, ran_without_inputs


# --- stateful ---------------------------------------------------------------------------------------

MONOGRAPHS = "/api/v1/monographs"
MONOGRAPH = "/api/v1/monographs/{monograph_id}"
PRESET = "/api/v1/presets/{slug}"


def _link(operation_id: str, parameters: dict[str, str], body: dict[str, str] | None = None) -> dict[str, Any]:
    link: dict[str, Any] = {"operationId": operation_id, "parameters": parameters}
    if body is not None:  # sent as it is, not merged into a generated body
        link |= {"requestBody": body, "x-schemathesis": {"merge_body": False}}
    return link


def _round_trip(spec: dict[str, Any], path: str) -> dict[str, str]:
    """A PUT body made of what the previous answer said, field by field (the answer has more fields)."""
    ref = spec["paths"][path]["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]
    return {name: f"$response.body#/{name}" for name in fields}


def with_links(spec: dict[str, Any]) -> dict[str, Any]:
    """The published OpenAPI plus the links schemathesis cannot infer by itself: an update or a publication sends
    back what it read with its ETag (If-Match), and what was created, changed or published is searched for.
    Schemathesis adds the links it infers (ids from bodies and paths) to these, and those send
    generated bodies and headers."""
    spec = copy.deepcopy(spec)
    ids = {
        (method.upper(), path): op["operationId"] for path, ops in spec["paths"].items() for method, op in ops.items()
    }
    update, search = ids[("PUT", MONOGRAPH)], ids[("GET", "/api/v1/search")]
    put_preset, get_preset = ids[("PUT", PRESET)], ids[("GET", PRESET)]
    etag, title = "$response.header.ETag", "$response.body#/title"
    update_as_read = _link(
        update, {"path.monograph_id": "$response.body#/id", "header.if-match": etag}, _round_trip(spec, MONOGRAPH)
    )
    search_title = _link(search, {"query.q": title})
    # An editor publishes what they read (the version as If-Match; a generated `version` would rarely be it).
    publish = ids[("POST", MONOGRAPH + "/publish")]
    publish_as_read = _link(publish, {"path.monograph_id": "$response.body#/id", "header.if-match": etag}, {})
    # What was archived is restored by publishing it (a published practice cannot be published again: 409).
    restore = _link(publish, {"path.monograph_id": "$request.path.monograph_id"}, {})
    slug = {"path.slug": "$request.path.slug"}
    update_preset_as_read = _link(put_preset, slug | {"header.if-match": etag}, _round_trip(spec, PRESET))
    # A slug found free (a read or delete answered 404) is then created with a valid preset: generated bodies
    # rarely are, and a run whose drawn bodies all failed never went on to update one.
    create_preset = _link(put_preset, slug, {"title": "Préréglage du fuzzer"})
    links: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
        ("post", MONOGRAPHS, "201"): {
            "UpdateAsRead": update_as_read,
            "SearchTitle": search_title,
            "PublishAsRead": publish_as_read,
        },
        ("get", MONOGRAPH, "200"): {"UpdateAsRead": update_as_read, "PublishAsRead": publish_as_read},
        ("put", MONOGRAPH, "200"): {
            "UpdateAgainAsRead": update_as_read,
            "SearchTitle": search_title,
            "PublishAsRead": publish_as_read,
        },
        ("post", MONOGRAPH + "/publish", "200"): {"SearchTitle": search_title},
        ("delete", MONOGRAPH, "204"): {"Restore": restore},
        ("put", PRESET, "201"): {"UpdatePresetAsRead": update_preset_as_read},
        ("put", PRESET, "200"): {"ReadPreset": _link(get_preset, slug)},
        ("get", PRESET, "200"): {"UpdatePresetAsRead": update_preset_as_read},
        ("get", PRESET, "404"): {"CreatePreset": create_preset},
        ("delete", PRESET, "404"): {"CreatePreset": create_preset},
    }
    for (method, path, status), named in links.items():
        spec["paths"][path][method]["responses"][status].setdefault("links", {}).update(named)
    return spec


class StopRun(KeyboardInterrupt):
    """Ends a stateful run at once, without Hypothesis replaying anything: the time budget is spent,
    or the server stopped answering. (Hypothesis lets KeyboardInterrupt through untouched.)"""


@dataclass
class Findings:
    """What a stateful run saw: calls per operation and status, and each distinct failure once."""

    calls: Counter[tuple[str, int]] = field(default_factory=Counter)
    scenarios: int = 0
    linked_steps: int = 0
    restarts: int = 0
    failures: dict[tuple[str, str, int], str] = field(default_factory=dict)

    def report(self) -> str:
        return "\n\n".join(
            f"{op} → {status} [{title}]\n{detail}" for (op, title, status), detail in self.failures.items()
        )


def stateful_machine(live: LiveApi, findings: Findings, deadline: float) -> tuple[type[APIStateMachine], Any]:
    """Schemathesis' state machine over the whole OpenAPI (with `with_links`), calling the live API with
    an editor key. A failed check is recorded, not raised, so one run reports every distinct failure."""
    spec = httpx.get(f"{live.url}/openapi.json", timeout=REQUEST_TIMEOUT).json()
    schema = schemathesis.openapi.from_dict(with_links(spec))
    base = schema.as_state_machine()
    headers = {"X-API-Key": live.editor_key}

    class Workflow(base):  # type: ignore[valid-type, misc]
        def setup(self) -> None:
            findings.scenarios += 1

        def step(self, input: StepInput) -> StepOutput:
            if time.monotonic() > deadline:
                raise StopRun("time budget spent")
            if input.transition is not None and input.is_applied:
                findings.linked_steps += 1
            return super().step(input)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": live.url, "headers": headers, "timeout": REQUEST_TIMEOUT}

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Any:
            try:
                return case.call(**kwargs)
            except Exception as exc:  # a hang or a dropped connection is a finding too, and ends the run
                curl = case.as_curl_command(headers=headers, base_url=live.url)
                findings.failures.setdefault((case.operation.label, type(exc).__name__, 0), f"{exc}\n{curl}")
                raise StopRun(str(exc)) from exc

        def validate_response(self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any) -> None:
            findings.calls[(case.operation.label, response.status_code)] += 1
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)
            except FailureGroup as group:
                curl = case.as_curl_command(headers=headers, base_url=live.url)
                for failure in group.exceptions:
                    key = (case.operation.label, failure.title, response.status_code)
                    findings.failures.setdefault(key, f"{failure.message}\n{curl}\nresponse: {response.text[:500]}")

    # Schemathesis gives a rule only to operations a link leads to and to those it expects to start
    # scenarios well (lists, and creations it understands: it takes the submission's `external_id` for a
    # reference to a resource nothing creates, and so never submits). Every other operation gets a rule
    # here: submissions (whose 201 feeds the links), searches, stats, exports, referentials, health...
    # mix with the linked calls, so the whole OpenAPI is called in changing states.
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    linked = collect_transitions(operations).operations
    started = {label for label, entry in linked.items() if entry.incoming} | set(getattr(base, "_root_labels", ()))
    started |= LOOKUPS
    for index, operation in enumerate(op for op in operations if op.label not in started):
        _add_rule(Workflow, f"START_{index}", operation.as_strategy())
    return Workflow, schema


def _add_rule(machine: type[APIStateMachine], name: str, cases: SearchStrategy[schemathesis.Case]) -> None:
    """A rule that sends a drawn case; its answer goes to the bundles the links read from."""

    def start(self: APIStateMachine, step: StepInput) -> StepOutput | None:
        self.recorder.record_case(case=step.case)  # type: ignore[attr-defined]
        return self._step(step)

    start.__name__ = start.__qualname__ = name
    setattr(machine, name, rule(target=Bundle("catch_all"), step=cases.map(StepInput.initial))(start))


def run_stateful(live: LiveApi, budget: float = BUDGET_SECONDS) -> Findings:
    """Up to SCENARIOS scenarios of up to STEPS linked calls, within `budget` seconds.

    The API's state moves on between scenarios (a slug created once answers 201, then 200), so a
    prefix Hypothesis replays may fill other bundles than the first time: Hypothesis then calls the
    generation flaky. That is the API being stateful, not a finding; the run starts afresh then."""
    findings = Findings()
    started = time.monotonic()
    deadline = started + budget
    machine, schema = stateful_machine(live, findings, deadline)
    transitions = schema.statistic.transitions
    assert transitions.total >= 40, transitions  # inferred links + ours
    while findings.scenarios < SCENARIOS and time.monotonic() < deadline:
        try:
            machine.run(
                settings=settings(
                    max_examples=SCENARIOS - findings.scenarios,
                    stateful_step_count=STEPS,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except StopRun:
            break
        except Flaky:
            findings.restarts += 1
    elapsed = time.monotonic() - started
    calls = sum(findings.calls.values())
    print(
        f"\nstateful run: {elapsed:.1f} s, {findings.scenarios} scenarios, {calls} calls "
        f"({findings.linked_steps} along a link), {findings.restarts} restarts; by operation and status:"
    )
    for (label, status), count in sorted(findings.calls.items()):
        print(f"  {label} {status}: {count}")
    return findings


def check_findings(findings: Findings) -> None:
    assert not findings.failures, f"{len(findings.failures)} distinct failures:\n\n{findings.report()}"
    # The run went deep, not just wide: things were created, read back, changed, published and removed.
    seen = {key for key, count in findings.calls.items() if count}
    for expected in [
        ("POST /api/v1/monographs", 201),
        ("GET /api/v1/monographs/{monograph_id}", 200),
        ("POST /api/v1/monographs/{monograph_id}/publish", 200),
        ("DELETE /api/v1/monographs/{monograph_id}", 204),
        ("PUT /api/v1/presets/{slug}", 201),
    ]:
        assert expected in seen, (expected, sorted(seen))
    updated = {("PUT /api/v1/monographs/{monograph_id}", 200), ("PUT /api/v1/presets/{slug}", 200)}
    assert updated & seen, sorted(seen)
    assert findings.linked_steps >= 50, findings.linked_steps


@pytest.fixture
def stateful_api(tmp_path: Path) -> Iterator[LiveApi]:
    with live_api(tmp_path / "data", UNLIMITED) as api:
        yield api


@pytest.fixture
def stateful_api_es(tmp_path: Path, es_url: str) -> Iterator[LiveApi]:
    prefix = f"fuzz-{uuid.uuid4().hex[:8]}"
    env = UNLIMITED | {
        "IMPACT_SEARCH_BACKEND": "elasticsearch",
        "IMPACT_ELASTICSEARCH_URL": es_url,
        "IMPACT_ELASTICSEARCH_INDEX_PREFIX": prefix,
    }
    with live_api(tmp_path / "data", env) as api:
        yield api
    # The session's node outlives this test: leave none of its indices behind.
    indices = httpx.get(f"{es_url}/_cat/indices/{prefix}*", params={"h": "index", "format": "json"}, timeout=30)
    names = ",".join(row["index"] for row in indices.json()) if indices.status_code == 200 else ""
    if names:
        httpx.delete(f"{es_url}/{names}", timeout=30)


def test_stateful_no_server_errors_embedded(stateful_api: LiveApi) -> None:
    check_findings(run_stateful(stateful_api))


@pytest.mark.elasticsearch
def test_stateful_no_server_errors_elasticsearch(stateful_api_es: LiveApi) -> None:
    check_findings(run_stateful(stateful_api_es))
