"""The command line's conventions (README.md, `crimegraph --help`): the documented exit codes,
a quiet end when the reader of the output leaves, `--json` on every command that prints data,
seed's report of what it loaded apart from what the database holds, and who decides a review
from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.access.auth import local_user
from graph.cli.main import build_parser, main
from graph.core.settings import REPO_ROOT, Settings
from graph.db.store import Store
from graph.growth import ingest as ingestion
from graph.model.schema import Model
from seed.loader import build_rows
from tests.conftest import totals
from tests.test_ingest import AMRA, ARTICLE

NOBODY = "person-nobody-00000000"


def _audit_log(path: Path, records: int) -> Path:
    lines = (
        json.dumps({"seq": seq, "time": "2026-12-04T00:00:00Z", "path": f"/r/{seq}"})
        for seq in range(1, records + 1)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _candidate(store: Store, model: Model, text: str) -> str:
    result = ingestion.ingest(store, model, ARTICLE, published="2025-03-18", grading="B2")
    return next(c["id"] for c in result.candidates if c["text"] == text)


# --- exit codes -------------------------------------------------------------------------


def test_an_id_that_does_not_exist_exits_3(
    cli_env: Settings, seeded_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["resolve", "why", NOBODY]) == 3
    assert NOBODY in capsys.readouterr().err
    assert main(["snapshot", "--id", "snapshot-nope", "--format", "json", "--out", "-"]) == 3


def test_a_refused_action_exits_4_and_changes_nothing(
    cli_env: Settings, store: Store, model: Model, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = _candidate(store, model, "Barcelona")
    assert main(["review", "reject", candidate]) == 0
    assert main(["review", "reject", candidate]) == 4
    assert "already rejected" in capsys.readouterr().err
    assert ingestion.get_candidate(store, candidate)["status"] == "rejected"


def test_usage_errors_exit_2(
    cli_env: Settings, seeded_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "graph_totals", "--param", "nope=1"]) == 2  # InvalidInput
    assert "has no parameter 'nope'" in capsys.readouterr().err
    assert main(["engine", "restart"]) == 2  # argparse: not a choice
    assert main(["no-such-command"]) == 2


def test_help_documents_the_exit_codes_and_generate_names_admin(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for line in ("0  ok", "1  failure", "2  usage", "3  not found", "4  refused", "141"):
        assert line in out
    assert main(["generate", "--help"]) == 0
    assert "[--format csv|ftm|admin]" in " ".join(capsys.readouterr().out.split())


def test_a_closed_pipe_ends_quietly_with_141(tmp_path: Path) -> None:
    """`crimegraph audit tail --json | head -1`: far more than a pipe's buffer, so the
    command is still writing when head leaves (no database needed)."""
    log = _audit_log(tmp_path / "audit.jsonl", 20_000)
    command = [sys.executable, "-m", "graph.cli.main", "audit", "tail", "--json"]
    writer = subprocess.Popen(
        [*command, "--file", str(log), "-n", "20000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    assert writer.stdout is not None
    head = subprocess.run(["head", "-1"], stdin=writer.stdout, capture_output=True, check=True)
    writer.stdout.close()  # only head reads the pipe
    _, err = writer.communicate(timeout=120)
    assert json.loads(head.stdout)["seq"] == 1  # oldest first
    assert err.decode() == ""  # no BrokenPipeError traceback
    assert writer.returncode == 141


# --- --json -----------------------------------------------------------------------------


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                for group in nested:
                    found.update({f"{name} {n}": s for n, s in group.choices.items()})
                if not nested:
                    found[name] = sub
    return found


def test_every_command_but_serve_takes_json() -> None:
    commands = _subcommands()
    assert "export" in commands and "resolve why" in commands
    without = [
        name
        for name, sub in commands.items()
        if not any("--json" in a.option_strings for a in sub._actions)
    ]
    assert without == ["serve"]


def _json_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_json_output_parses_on_every_data_command(
    cli_env: Settings,
    seeded_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nodes, relationships = totals(seeded_store)
    assert _json_of(["seed", "--json"], capsys)["totals"] == {
        "nodes": nodes,
        "relationships": relationships,
    }
    assert "graph_totals" in {q["name"] for q in _json_of(["query", "--json"], capsys)}
    assert _json_of(["query", "graph_totals", "--json"], capsys)[0]["nodes"] == nodes
    out = tmp_path / "amra.json"
    frozen = ["snapshot", "--entity", AMRA, "--depth", "1", "--out", str(out), "--json"]
    summary = _json_of(frozen, capsys)
    assert summary["file"] == str(out)
    assert summary["nodes"] == len(json.loads(out.read_bytes())["nodes"]) > 1
    exported = _json_of(["export", "--output", str(tmp_path / "all.jsonl"), "--json"], capsys)
    assert exported["files"] == [str(tmp_path / "all.jsonl")] and exported["nodes"] > 0
    assert _json_of(["import", str(tmp_path / "all.jsonl"), "--json"], capsys)["created"] is True
    assert len(_json_of(["datasets", "--json"], capsys)) == 1
    assert _json_of(["contradictions", "--json"], capsys)[0]["kind"]
    assert isinstance(_json_of(["resolve", "candidates", "--json"], capsys), list)
    assert _json_of(["resolve", "decisions", "--json"], capsys) == []
    assert _json_of(["resolve", "why", AMRA, "--json"], capsys)["entity"]["id"] == AMRA
    assert _json_of(["review", "list", "--json"], capsys) == []
    assert isinstance(_json_of(["keys", "list", "--json"], capsys), list)
    assert _json_of(["engine", "status", "--json"], capsys)["running"] is True
    assert _json_of(["model", "check", "--json"], capsys)["stale"] == []
    manifest = _json_of(["generate", "--size", "XS", "--dry-run", "--json"], capsys)
    assert manifest["nodes"] > 0
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    assert _json_of(["ingest", str(article), "--json"], capsys)["created"] is True
    log = _audit_log(tmp_path / "audit.jsonl", 3)
    assert main(["audit", "verify", "--file", str(log), "--json"]) == 1  # not hash-chained
    assert json.loads(capsys.readouterr().out)["ok"] is False
    assert main(["audit", "tail", "--file", str(log), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3]


# --- seed -------------------------------------------------------------------------------


def test_seed_reports_what_it_loaded_apart_from_the_database_totals(
    cli_env: Settings,
    seeded_store: Store,
    model: Model,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeded_store.run("create_person", {"id": "person-not-from-the-seed", "name": "Extra"})
    rows = build_rows(model, settings.seed_dir / "data", settings.seed_dir / "documents")
    report = _json_of(["seed", "--json"], capsys)
    nodes, relationships = totals(seeded_store)
    assert report == {
        "loaded": {"nodes": len(rows.nodes), "relationships": len(rows.relationships)},
        "totals": {"nodes": nodes, "relationships": relationships},
    }
    assert report["totals"]["nodes"] > report["loaded"]["nodes"]
    assert main(["seed"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"loaded: {len(rows.nodes)} nodes, {len(rows.relationships)} relationships",
        f"database totals: {nodes} nodes, {relationships} relationships",
    ]


# --- who decides ------------------------------------------------------------------------


def test_the_local_user_decides_reviews_and_no_option_names_another(
    cli_env: Settings, store: Store, model: Model, capsys: pytest.CaptureFixture[str]
) -> None:
    assert local_user() == f"cli:{getpass.getuser()}"
    rejected = _candidate(store, model, "Barcelona")
    assert main(["review", "reject", rejected, "--by", "the-chief"]) == 2
    assert "unrecognized arguments: --by" in capsys.readouterr().err
    assert ingestion.get_candidate(store, rejected)["status"] == "pending"
    decision = _json_of(["review", "reject", rejected, "--json"], capsys)
    assert decision["candidate"]["decided_by"] == local_user()
    assert ingestion.get_candidate(store, rejected)["decided_by"] == local_user()
