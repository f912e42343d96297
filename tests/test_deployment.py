"""docker-compose.yml, the Dockerfile and the README, checked as far as this machine allows.

No Docker engine and no Neo4j server run here, so these tests read the files and apply the
rules the images apply; docs/deploy.md says what was never run.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from graph.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
ENV_PREFIX = "CRIMEGRAPH_"
NEO4J_SETTINGS_FILE = Path(__file__).with_name("data") / "neo4j-5.26-settings.txt"

# The official image's entrypoint, neo4j/docker-neo4j docker-image-src/5/coredb/docker-entrypoint.sh
# ("ENVIRONMENT VARIABLE CONFIGURATIONS"): every NEO4J_* variable that is not in `not_configs`
# and does not end in _FILE (a docker secret, read into the variable without the suffix) is
# written to neo4j.conf as a setting, its name being the variable's minus NEO4J_ with every `_`
# made `.` and every `..` (from `__`) made `_`. Neo4j 5 refuses to start on an unknown setting.
NOT_CONFIGS = {
    "NEO4J_ACCEPT_LICENSE_AGREEMENT",
    "NEO4J_AUTH",
    "NEO4J_AUTH_PATH",
    "NEO4J_DEBUG",
    "NEO4J_EDITION",
    "NEO4J_HOME",
    "NEO4J_PLUGINS",
    "NEO4J_SHA256",
    "NEO4J_TARBALL",
    "NEO4J_DEPRECATION_WARNING",
}


def setting_from_env(name: str) -> str | None:
    """The neo4j.conf setting the entrypoint writes for this variable (None: not a setting)."""
    if not name.startswith("NEO4J_") or name in NOT_CONFIGS or name.endswith("_FILE"):
        return None
    return name.removeprefix("NEO4J_").replace("_", ".").replace("..", "_")


def known_setting(name: str) -> bool:
    """Is `name` a Neo4j 5 setting (tests/data: `<x>` in a listed name is any one segment)?"""
    for line in NEO4J_SETTINGS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            pattern = "".join(
                r"[^.]+" if part.startswith("<") else re.escape(part)
                for part in re.split(r"(<[^>]+>)", line)
            )
            if re.fullmatch(pattern, name):
                return True
    return False


def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(compose_text())
    return data


def dockerfile_stages() -> list[tuple[str, list[str]]]:
    """The Dockerfile as (FROM line, instructions) per stage, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    instructions = [
        " ".join(line.split())
        for line in re.sub(r"\\\n", " ", text).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages: list[tuple[str, list[str]]] = []
    for line in instructions:
        if line.upper().startswith("FROM "):
            stages.append((line, []))
        elif stages:
            stages[-1][1].append(line)
    return stages


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
    for name in ("neo4j", "api"):
        assert services[name]["restart"] == "unless-stopped", name
        assert "healthcheck" in services[name], name
        for port in services[name].get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_every_neo4j_variable_of_compose_is_a_neo4j_5_setting() -> None:
    """The neo4j service starts only if the entrypoint writes no unknown setting."""
    assert known_setting("server.memory.heap.max_size")  # the list is read as meant
    assert not known_setting("PASSWORD")
    for name, service in compose()["services"].items():
        if not str(service.get("image", "")).startswith("neo4j:"):
            continue
        for variable, value in service.get("environment", {}).items():
            setting = setting_from_env(variable)
            if setting is None or value in (None, ""):  # the entrypoint skips empty values
                continue
            assert known_setting(setting), (
                f"{name}: {variable} becomes the setting {setting!r}, which Neo4j 5 does not "
                f"know, so it refuses to start (not in {NEO4J_SETTINGS_FILE.name})"
            )


def test_the_neo4j_settings_docs_deploy_suggests_are_neo4j_5_settings() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    yaml_blocks = "\n".join(re.findall(r"```yaml\n(.*?)```", text, re.DOTALL))
    variables = set(re.findall(r"^\s*(NEO4J_[A-Za-z0-9_]+):\s", yaml_blocks, re.MULTILINE))
    assert "NEO4J_server_bolt_tls__level" in variables  # the TLS example is read
    for variable in sorted(variables):
        setting = setting_from_env(variable)
        assert setting is None or known_setting(setting), f"{variable} -> {setting!r}"


# How the image's entrypoint reads NEO4J_AUTH (docker-image-src/5/coredb/docker-entrypoint.sh
# in neo4j/docker-neo4j): user, `/`, password, an optional `/true`; anything else and Neo4j
# does not start ("Invalid value for NEO4J_AUTH").
ENTRYPOINT_AUTH = re.compile(r"^([^/]+)\/([^/]+)/?([tT][rR][uU][eE])?$")
RAND_ALPHABETS = {
    "hex": "0123456789abcdef",
    "base64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
}


def test_the_password_the_docs_make_is_one_the_image_accepts() -> None:
    """docs/deploy.md makes the password with `openssl rand`: every character it can print
    must keep `NEO4J_AUTH=neo4j/<password>` readable by the entrypoint."""
    assert ENTRYPOINT_AUTH.match("neo4j/secret") and not ENTRYPOINT_AUTH.match("neo4j/a/b")
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    recipe = re.search(r"openssl rand -(hex|base64) (\d+)", text)
    assert recipe, "docs/deploy.md says how to make the password"
    for char in RAND_ALPHABETS[recipe[1]]:
        assert ENTRYPOINT_AUTH.match(f"neo4j/{char * 8}"), f"a password with {char!r} stops Neo4j"


def test_the_neo4j_healthcheck_reads_only_variables_the_service_sets() -> None:
    neo4j = compose()["services"]["neo4j"]
    command = " ".join(neo4j["healthcheck"]["test"][1:])
    used = set(re.findall(r"\$\$\{?([A-Z_][A-Z0-9_]*)", command))
    assert used, "the healthcheck must log in (cypher-shell needs the password)"
    assert used <= set(neo4j["environment"]), f"unset: {used - set(neo4j['environment'])}"
    assert "NEO4J_PASSWORD" not in neo4j["environment"], "a stray setting (see above)"
    assert not re.search(r"\s-p\s", command), "a password on the command line shows in ps"


def test_compose_settings_are_the_settings_class_fields() -> None:
    fields = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "seed"):
        env = compose()["services"][name]["environment"]
        assert set(env) <= fields, f"{name}: unknown settings {set(env) - fields}"
        assert env["CRIMEGRAPH_NEO4J_URI"] == "bolt://neo4j:7687"
    published = compose()["services"]["api"]["ports"][0]
    assert published.startswith("127.0.0.1:") and published.endswith(":8000")
    assert "8000" in compose()["services"]["api"]["command"]


def test_the_api_keeps_its_data_and_audit_log_on_a_named_volume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a writable data dir the audit log cannot open and /ready is 503; without a
    volume the audit trail goes with every re-created container."""
    api = compose()["services"]["api"]
    env = {k: str(v) for k, v in api["environment"].items()}
    assert "CRIMEGRAPH_DATA_DIR" in env, "the API has no data dir (HOME is not writable)"
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"{ENV_PREFIX}{name.upper()}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()

    mounts = {}
    for volume in api.get("volumes", []):
        source, _, target = volume.partition(":")
        mounts[PurePosixPath(target.split(":")[0])] = source
    data_dir = PurePosixPath(settings.data_dir)
    mount = next((m for m in mounts if data_dir.is_relative_to(m)), None)
    assert mount is not None, f"{data_dir} is not on a volume: {api.get('volumes')}"
    assert mounts[mount] in (compose().get("volumes") or {}), "not a named volume"
    assert PurePosixPath(settings.audit_path).is_relative_to(mount)

    # A fresh named volume takes the owner of the image's directory: the image must make
    # it, owned by the user the API runs as, and declare it a volume.
    final = dockerfile_stages()[-1][1]
    volumes = " ".join(i for i in final if i.upper().startswith("VOLUME "))
    assert str(mount) in volumes, f"the image does not declare {mount} a VOLUME"
    user = next(i.split()[1] for i in reversed(final) if i.upper().startswith("USER "))
    name, where = re.escape(user.split(":")[0]), re.escape(str(mount))
    owned = (
        rf"chown\s+(-R\s+)?{name}\S*\s+[^&;]*{where}|install\s+-d\s[^&;]*-o\s+{name}\s[^&;]*{where}"
    )
    assert any(re.search(owned, i) for i in final if i.startswith("RUN ")), (
        f"the image does not make {mount} owned by {user}"
    )


def test_the_image_builds_wheels_in_a_builder_stage() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 3, "node (the graph library), a builder, the runtime"
    builder_text = " ".join(i for _, body in stages[:-1] for i in body)
    assert "libicu-dev" in builder_text and "pip wheel" in builder_text


def test_the_runtime_image_has_no_compiler_and_runs_an_installed_wheel_as_a_user() -> None:
    stages = dockerfile_stages()
    final_from, final = stages[-1]
    assert final_from.startswith("FROM python:3.1")
    text = " ".join(final)
    for compiler in ("g++", "gcc", "build-essential", "libicu-dev", "pkg-config"):
        assert not re.search(rf"(^|\s){re.escape(compiler)}(\s|$)", text), (
            f"{compiler} in the runtime image"
        )
    assert re.search(r"\blibicu\d+\b", text), "PyICU needs the ICU runtime library"
    assert "fonts-dejavu-core" in text, "pictures are drawn with DejaVu Sans"
    assert not re.search(r"pip install[^&;]*\s(-e|--editable)\s", text), "an editable install"
    assert re.search(r"pip install[^&;]*--no-index", text), "install only the built wheels"
    builder = stages[-2][0].split()[-1] if len(stages) > 1 else "a builder stage"
    assert any(f"from={builder}" in i for i in final), "the wheels come from the builder stage"
    assert not any(i.startswith("COPY . ") for i in final), "the source tree is not the app"
    user = [i.split()[1] for i in final if i.upper().startswith("USER ")]
    assert user and user[-1].split(":")[0] not in ("root", "0"), "runs as root"
    assert any(i.startswith(("CMD ", "ENTRYPOINT ")) and "crimegraph" in i for i in final)


def test_no_secret_is_written_into_compose() -> None:
    for line in compose_text().splitlines():
        if re.search(r"PASSWORD|AUTH", line) and ":" in line and not line.lstrip().startswith("#"):
            if "healthcheck" in line or "cypher-shell" in line:
                continue
            assert "${NEO4J_PASSWORD" in line, line


def test_the_readme_documents_every_setting_and_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{ENV_PREFIX}{name.upper()}`" in readme, f"README lacks {ENV_PREFIX}{name.upper()}"
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE), (
        ".ci/run must call the README's test command"
    )
