"""Lint every .cypher file with the Neo4j Cypher grammar (tools/cypher-lint)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_DIR = ROOT / "tools" / "cypher-lint"
LINTER = LINT_DIR / "lint.mjs"


def run_lint(files: list[Path]) -> tuple[int, dict]:
    """Run the linter once over files; return (exit code, parsed JSON report)."""
    node = shutil.which("node")
    # Fail, not skip: a missing toolchain must not make the lint silently pass.
    if node is None:
        pytest.fail("node not found on PATH; install Node 20 to run the Cypher lint")
    if not (LINT_DIR / "node_modules").is_dir():
        pytest.fail(
            "tools/cypher-lint/node_modules is missing; "
            "run `npm ci --prefix tools/cypher-lint` first"
        )
    proc = subprocess.run(
        [node, str(LINTER), *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), (
        f"linter exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return proc.returncode, json.loads(proc.stdout)


def format_problems(problems: list[dict]) -> str:
    return "\n".join(f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in problems)


def test_all_cypher_files_lint_clean():
    files = sorted((ROOT / "cypher").rglob("*.cypher"))
    assert files, "no .cypher files found under cypher/"
    rc, report = run_lint([f.relative_to(ROOT) for f in files])
    assert report["files"] == len(files)
    assert report["problems"] == [], (
        f"{len(report['problems'])} Cypher lint problem(s):\n" + format_problems(report["problems"])
    )
    assert rc == 0


def test_lint_detects_errors_and_allows_parameters(tmp_path):
    # Proves the lint can fail, and that runtime `$params` are not reported.
    broken = tmp_path / "broken.cypher"
    broken.write_text("// name: broken\nMATCH (n RETURN n\n", encoding="utf-8")
    with_param = tmp_path / "with_param.cypher"
    with_param.write_text("// name: by_id\nMATCH (n) WHERE n.id = $id RETURN n\n", encoding="utf-8")

    rc, report = run_lint([broken, with_param])

    assert rc == 1
    by_file = {}
    for p in report["problems"]:
        by_file.setdefault(Path(p["file"]).name, []).append(p)
    assert by_file.get("broken.cypher"), "broken query was not reported"
    assert by_file["broken.cypher"][0]["line"] == 2
    assert "with_param.cypher" not in by_file, format_problems(by_file["with_param.cypher"])
