"""docker-compose.yml and the README, checked as far as this machine allows (no Docker)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from graph.settings import REPO_ROOT, Settings

ENV_PREFIX = "CRIMEGRAPH_"


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    )
    return data


def test_compose_runs_neo4j_5_the_api_and_a_one_shot_seed() -> None:
    services = compose()["services"]
    assert set(services) == {"neo4j", "api", "seed"}
    neo4j = services["neo4j"]
    assert neo4j["image"].startswith("neo4j:5")
    assert "healthcheck" in neo4j
    assert any(v.startswith("neo4j-data:") for v in neo4j["volumes"])
    assert "neo4j-data" in compose()["volumes"]
    assert services["seed"]["command"] == ["crimegraph", "seed"]
    assert services["seed"]["restart"] == "no"
    assert services["api"]["depends_on"]["seed"]["condition"] == "service_completed_successfully"
    assert services["api"]["depends_on"]["neo4j"]["condition"] == "service_healthy"


def test_compose_settings_are_the_settings_class_fields() -> None:
    fields = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "seed"):
        env = compose()["services"][name]["environment"]
        assert set(env) <= fields, f"{name}: unknown settings {set(env) - fields}"
        assert env["CRIMEGRAPH_NEO4J_URI"] == "bolt://neo4j:7687"
    published = compose()["services"]["api"]["ports"][0]
    assert published.startswith("127.0.0.1:") and published.endswith(":8000")
    assert "8000" in compose()["services"]["api"]["command"]


def test_no_secret_is_written_into_compose() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.search(r"PASSWORD|AUTH", line) and ":" in line and "cypher-shell" not in line:
            assert "${NEO4J_PASSWORD" in line, line


def test_the_readme_documents_every_setting_and_the_two_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{ENV_PREFIX}{name.upper()}`" in readme, f"README lacks {ENV_PREFIX}{name.upper()}"
    assert "make run" in readme and "make test" in readme
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE), (
        ".ci/run must call the README's test command"
    )
