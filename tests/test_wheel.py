"""The distribution a team installs: built from this checkout, installed into a fresh venv
outside it, run from an empty directory (issue 12).

`python -m build` makes the sdist and, from it, the wheel (so the sdist is checked too); pip
installs the wheel with its dependencies (from pip's cache when warm); then the installed
`crimegraph` serves the seeded API. Nothing of the checkout is reachable from there: a file
the wheel lacks, or a path found relative to the repository, fails here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from graph.model.schema import load_model
from seed.loader import build_rows

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
SERVE_TIMEOUT = 180.0  # the engine's start-up and the seed, on a busy machine


@dataclass
class Installed:
    wheel: Path
    venv: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def isolated_env(**extra: str) -> dict[str, str]:
    """The environment minus anything pointing at the checkout or configuring crimegraph."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CRIMEGRAPH_", "PYTHON", "VIRTUAL_ENV", "PYTEST"))
    }
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def run(command: list[str], timeout: float, cwd: Path | None = None) -> str:
    """Run a command outside the checkout's environment; its output on failure."""
    result = subprocess.run(
        command, cwd=cwd, env=isolated_env(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"{' '.join(command)}: exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    outside = tmp_path_factory.mktemp("wheel")
    assert not outside.is_relative_to(ROOT)
    dist = outside / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], timeout=300)
    (wheel,) = dist.glob("crimegraph-*.whl")
    venv = outside / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    # --no-compile: byte-compiling every dependency is a third of the install, beside the point.
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile"]
    run([*pip, str(wheel)], timeout=600)
    return Installed(wheel, venv)


def test_the_wheel_carries_the_run_time_files_and_no_tests(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for needed in (
        "graph/model/model.yaml",
        "graph/_cypher/schema/model.cypher",
        "graph/_cypher/queries/read/graph_totals.cypher",
        "graph/_cypher/queries/write/upsert_nodes.cypher",
        "graph/_cypher/browser/style.grass",
        "graph/_cypher/guide.md",
        "seed/data/relationships.yaml",
        "api/static/explore/index.html",
        "api/static/explore/explore.js",
        "api/static/explore/vendor/cytoscape.min.js",
        "api/static/explore/vendor/cytoscape.LICENSE",
    ):
        assert needed in names, f"the wheel lacks {needed}"
    in_repo = {
        p.relative_to(ROOT / "cypher").as_posix() for p in (ROOT / "cypher").rglob("*.cypher")
    }
    in_wheel = {n.removeprefix("graph/_cypher/") for n in names if n.startswith("graph/_cypher/")}
    assert in_repo <= in_wheel, f"queries left out: {sorted(in_repo - in_wheel)}"
    documents = {p.name for p in (ROOT / "seed" / "documents").iterdir()}
    assert documents <= {Path(n).name for n in names if n.startswith("seed/documents/")}
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "tools/"))]


def test_the_installed_package_finds_its_files_inside_the_venv(
    installed: Installed, tmp_path: Path
) -> None:
    probe = (
        "import json; from graph.core.settings import Settings; from graph.core import resources; "
        "s = Settings(); print(json.dumps([str(s.cypher_dir), str(s.seed_dir), "
        "str(resources.explore_dir()), str(resources.explore_vendor_dir())]))"
    )
    output = run([installed.bin("python"), "-c", probe], timeout=60, cwd=tmp_path)
    for path in map(Path, json.loads(output)):
        assert path.is_relative_to(installed.venv) and path.is_dir(), path
        assert not path.is_relative_to(ROOT), path


def test_version_prints_the_distribution_version(installed: Installed, tmp_path: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    output = run([installed.bin("crimegraph"), "--version"], timeout=60, cwd=tmp_path)
    assert output.strip() == f"crimegraph {project['version']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().rsplit(")", 1)[1].split()[0] == "Z")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    data_dir: Path
    log: Path

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVE_TIMEOUT
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base}/ready", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"not ready after {SERVE_TIMEOUT:.0f} s"
            time.sleep(0.5)


@pytest.fixture
def server(installed: Installed, tmp_path: Path) -> Iterator[Server]:
    """`crimegraph serve --seed` started from an empty directory with its own data dir;
    whatever is still running at the end (it, its engine) is killed."""
    workdir, data_dir, log = tmp_path / "empty", tmp_path / "data", tmp_path / "serve.log"
    workdir.mkdir()
    port = free_port()
    env = isolated_env(CRIMEGRAPH_DATA_DIR=str(data_dir), CRIMEGRAPH_ENGINE_HEAP="512m")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [installed.bin("crimegraph"), "serve", "--seed", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    engine_state = data_dir / "engine.json"
    try:
        yield Server(process, f"http://127.0.0.1:{port}", data_dir, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if engine_state.exists():
            pid = json.loads(engine_state.read_text())["pid"]
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_installed_command_serves_the_seeded_api_and_stops_cleanly(server: Server) -> None:
    server.wait_ready()
    token = (server.data_dir / "bootstrap-key").read_text().strip()
    stats = httpx.get(f"{server.base}/api/v1/stats", headers={"X-API-Key": token}, timeout=30)
    assert stats.status_code == 200, stats.text
    seed = build_rows(load_model(), ROOT / "seed" / "data", ROOT / "seed" / "documents")
    assert stats.json() == {"nodes": len(seed.nodes), "relationships": len(seed.relationships)}

    page = httpx.get(f"{server.base}/explore", timeout=30)
    assert '<div id="vendor-missing" class="notice" role="alert" hidden>' in page.text
    library = httpx.get(f"{server.base}/explore/vendor/cytoscape.min.js", timeout=30)
    assert library.status_code == 200
    assert library.content == (ROOT / "api/static/explore/vendor/cytoscape.min.js").read_bytes()

    engine_pid = json.loads((server.data_dir / "engine.json").read_text())["pid"]
    assert alive(engine_pid)
    server.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert server.process.wait(timeout=90) == 0, server.log.read_text()
    assert not alive(engine_pid), "the engine this server started outlived it"
    assert not (server.data_dir / "engine.json").exists()
