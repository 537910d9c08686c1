"""No Docker engine runs here, so the compose file, the Dockerfile and the lock files are checked as data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_ports() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "elasticsearch", "api", "ui"}
    assert "127.0.0.1:9200:9200" in services["elasticsearch"]["ports"]
    assert "8000:8000" in services["api"]["ports"] and "8501:8501" in services["ui"]["ports"]


def test_elasticsearch_is_the_official_image_of_our_major() -> None:
    es = COMPOSE["services"]["elasticsearch"]
    image, tag = es["image"].rsplit(":", 1)
    assert image == "docker.elastic.co/elasticsearch/elasticsearch" and tag.startswith("9.")
    assert es["environment"]["discovery.type"] == "single-node"
    assert "-Xmx" in es["environment"]["ES_JAVA_OPTS"]
    assert any(v.endswith(":/usr/share/elasticsearch/data") for v in es["volumes"])


def test_every_service_has_a_healthcheck_and_waits_for_its_dependency() -> None:
    services = COMPOSE["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    assert services["api"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["ui"]["depends_on"]["api"]["condition"] == "service_healthy"


def test_environment_is_what_settings_read() -> None:
    api_env = COMPOSE["services"]["api"]["environment"]
    known = {f"IMPACT_{name.upper()}" for name in Settings.model_fields}
    assert set(api_env) <= known
    settings = Settings(**{k.removeprefix("IMPACT_").lower(): v for k, v in api_env.items()})
    assert settings.search_backend == "elasticsearch"
    assert settings.store_url.startswith("postgresql+psycopg://") and "@postgres:5432/" in settings.store_url
    assert api_env["IMPACT_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert COMPOSE["services"]["ui"]["environment"]["IMPACT_API_BASE_URL"] == "http://api:8000"


def test_the_browser_reaches_the_api_where_the_compose_file_publishes_it() -> None:
    """The UI calls the API over the compose network, but the links and suggestions it gives the visitor's
    browser use IMPACT_PUBLIC_API_URL: the API's published port, the address the API itself announces."""
    services = COMPOSE["services"]
    ui_env, api_env = services["ui"]["environment"], services["api"]["environment"]
    public = urlsplit(ui_env["IMPACT_PUBLIC_API_URL"])
    assert public.hostname not in set(services) and public.hostname in ("localhost", "127.0.0.1")
    assert f"{public.port}:8000" in services["api"]["ports"]
    assert ui_env["IMPACT_PUBLIC_API_URL"] == api_env["IMPACT_PUBLIC_API_URL"]
    ui_public = urlsplit(api_env["IMPACT_PUBLIC_BASE_URL"])  # each result's link to its practice page
    assert ui_public.hostname not in set(services) and f"{ui_public.port}:8501" in services["ui"]["ports"]


def test_dockerfile_builds_api_and_ui_from_the_repo() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ("schemas", "indexer", "api", "ui", "seed"):
        assert f"COPY {folder} {folder}" in dockerfile
    assert "USER impact" in dockerfile


def test_every_setting_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"


def test_production_shape_runs_several_api_processes_on_the_ci_elasticsearch_version() -> None:
    """The compose stack is what the reliability tests prove: PostgreSQL + Elasticsearch, 4 API processes."""
    services = COMPOSE["services"]
    command = " ".join(services["api"]["command"])
    assert "impact migrate" in command and "--workers 4" in command
    es_script = (ROOT / "scripts" / "es-node.sh").read_text()
    ci_version = es_script.split('PINNED_VERSION="', 1)[1].split('"', 1)[0]
    assert services["elasticsearch"]["image"].endswith(f":{ci_version}")
    assert services["postgres"]["image"].startswith("postgres:")


# --- locked, hash-checked installs ------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    requirement: Requirement  # name==version, with its environment marker if any
    hashes: tuple[str, ...]

    @property
    def version(self) -> str:
        (spec,) = self.requirement.specifier
        return spec.version


def read_lock(path: Path) -> dict[str, list[Pin]]:
    """The pins of a `uv pip compile --generate-hashes` file, by canonical name (a universal lock may pin
    one name twice, for different Python versions)."""
    logical, current = [], ""
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        current += " " + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    assert not current, f"{path.name} ends inside a continued line"
    pins: dict[str, list[Pin]] = {}
    for entry in logical:
        head, *hashes = entry.split(" --hash=")
        requirement = Requirement(head)
        pins.setdefault(canonicalize_name(requirement.name), []).append(Pin(requirement, tuple(hashes)))
    return pins


RUNTIME_LOCK, DEV_LOCK = ROOT / "requirements.lock", ROOT / "requirements-dev.lock"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME, DEV = PROJECT["dependencies"], PROJECT["optional-dependencies"]["dev"]


@pytest.mark.parametrize(
    ("lock", "lines"), [(RUNTIME_LOCK, RUNTIME), (DEV_LOCK, RUNTIME + DEV)], ids=["runtime", "dev"]
)
def test_every_dependency_is_pinned_in_the_lock_within_its_range(lock: Path, lines: list[str]) -> None:
    pins = read_lock(lock)
    declared = [Requirement(line) for line in lines]
    for requirement in declared:
        found = pins.get(canonicalize_name(requirement.name))
        assert found, f"{requirement} is not in {lock.name}: regenerate it (command at its top)"
        for pin in found:
            assert requirement.specifier.contains(pin.version, prereleases=True), (
                f"{lock.name} pins {pin.requirement}, outside {requirement}: regenerate it (command at its top)"
            )
    if lock is RUNTIME_LOCK:  # the image carries no test tooling
        assert not {"pytest", "ruff", "mypy", "hypothesis", "schemathesis", "playwright"} & set(pins)


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=["runtime", "dev"])
def test_every_pin_is_exact_and_hashed(lock: Path) -> None:
    pins = read_lock(lock)
    assert len(pins) > 30
    for name, entries in pins.items():
        for pin in entries:
            assert not pin.requirement.url and not pin.requirement.extras, pin.requirement
            (spec,) = pin.requirement.specifier
            assert spec.operator == "==", pin.requirement
            assert pin.hashes and all(h.startswith("sha256:") and len(h) == len("sha256:") + 64 for h in pin.hashes), (
                name
            )


def test_runtime_lock_agrees_with_the_dev_lock() -> None:
    """The image runs the versions the tests ran: the runtime lock is compiled within the dev lock."""
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    for name, entries in runtime.items():
        assert name in dev, f"{name} is in requirements.lock but not in requirements-dev.lock"
        assert {str(p.requirement) for p in entries} <= {str(p.requirement) for p in dev[name]}, name
        assert {h for p in entries for h in p.hashes} <= {h for p in dev[name] for h in p.hashes}, name


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=["runtime", "dev"])
def test_lock_says_how_to_regenerate_it(lock: Path) -> None:
    header = lock.read_text().split("\n", 3)[:2]
    command = header[1].lstrip("# ").split()
    assert command[:4] == ["uv", "pip", "compile", "pyproject.toml"], header
    assert "--generate-hashes" in command and "--universal" in command and command[-1] == lock.name, header
    assert lock.name in (ROOT / "README.md").read_text()


def test_dockerfile_installs_the_runtime_lock_with_hashes_then_the_project_alone() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runs = [" ".join(line.split()) for line in dockerfile.replace("\\\n", " ").splitlines() if line.startswith("RUN ")]
    installs = [run for run in runs if "pip install" in run]
    assert "COPY requirements.lock" in dockerfile
    assert any("--require-hashes" in run and "-r requirements.lock" in run for run in installs), installs
    # Everything else comes from the lock: the project itself is installed without dependencies.
    for run in installs:
        assert "--require-hashes" in run or "--no-deps" in run, run
    assert dockerfile.index("-r requirements.lock") < dockerfile.index("--no-deps .")


def test_make_install_uses_the_dev_lock_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp_rule = makefile.split("$(STAMP):", 1)[1].split("\n\n", 1)[0]
    prerequisites = stamp_rule.split("\n", 1)[0].split()
    assert {"pyproject.toml", "requirements-dev.lock"} <= set(prerequisites), prerequisites
    assert "--require-hashes -r requirements-dev.lock" in stamp_rule
    assert "--no-deps -e ." in stamp_rule
