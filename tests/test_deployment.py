"""No Docker engine runs here, so the compose file and Dockerfile are checked as data."""

from __future__ import annotations

from pathlib import Path

import yaml

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
