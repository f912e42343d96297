"""The named-query loader: headers are checked against what the body really uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.cli.main import main as cli_main
from graph.core.errors import InvalidInput, NotFound, QueryDefinitionError
from graph.core.settings import REPO_ROOT
from graph.db.queries import (
    QuerySet,
    parse_query_file,
    strip_comments_and_strings,
    strip_non_code,
    used_parameters,
)

HEADER = "// name: {name}\n// mode: read\n// description: A test query.\n"


def write_query(tmp_path: Path, text: str, name: str = "sample") -> Path:
    path = tmp_path / f"{name}.cypher"
    path.write_text(text, encoding="utf-8")
    return path


def test_parameters_in_comments_strings_and_quoted_names_are_not_parameters() -> None:
    body = """
    // $commented
    MATCH (n {name: '$in_single', other: "$in_double"}) /* $in_block */
    WHERE n.`$quoted` = $real AND n.x IN $list
    RETURN n
    """
    assert used_parameters(body) == {"real", "list"}


def test_strip_helpers_end_comments_at_carriage_returns() -> None:
    body = "// $hidden\rMATCH (n {id: $id}) /* $c */ RETURN n.`$q`, '$s', $`quoted`"
    assert used_parameters(body) == {"id", "quoted"}
    assert "MATCH" in strip_non_code(body) and "$hidden" not in strip_non_code(body)
    kept = strip_comments_and_strings(body)
    assert "`$q`" in kept and "'$s'" not in kept and "$c" not in kept


def test_a_valid_file_loads_with_typed_params(tmp_path: Path) -> None:
    path = write_query(
        tmp_path,
        HEADER.format(name="sample")
        + '// param id: STRING = "x-1"\n// param limit: INTEGER = 5\n'
        + "MATCH (n {id: $id}) RETURN n LIMIT $limit\n",
    )
    query = parse_query_file(path)
    assert (query.name, query.mode) == ("sample", "read")
    assert [(p.name, p.type, p.example) for p in query.params] == [
        ("id", "STRING", "x-1"),
        ("limit", "INTEGER", 5),
    ]
    assert query.bind({"id": "a", "limit": 3}) == {"id": "a", "limit": 3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEADER.format(name="sample") + "MATCH (n {id: $id}) RETURN n",
            "used but not declared: $id",
        ),
        (
            HEADER.format(name="sample") + '// param id: STRING = "a"\nMATCH (n) RETURN n',
            "declared but not used: $id",
        ),
        (HEADER.format(name="other") + "RETURN 1", "must equal the file name"),
        ("// mode: read\n// description: x\nRETURN 1", "missing `// name"),
        (
            HEADER.format(name="sample").replace("read", "delete") + "RETURN 1",
            "mode must be read or write",
        ),
        (HEADER.format(name="sample") + "// param n: WHATEVER = 1\nRETURN $n", "is not one of"),
        (
            HEADER.format(name="sample") + '// param n: INTEGER = "x"\nRETURN $n',
            "is not a JSON INTEGER",
        ),
        (HEADER.format(name="sample") + "RETURN 1;\nRETURN 2", "one query per file"),
        (HEADER.format(name="sample") + "RETURN 1 /* ; */; RETURN 2", "one query per file"),
        (HEADER.format(name="sample") + "RETURN 'unterminated", "cannot be read as Cypher"),
        (HEADER.format(name="sample"), "no query body"),
    ],
)
def test_inconsistent_files_fail_at_load_with_a_clear_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write_query(tmp_path, text)
    with pytest.raises(QueryDefinitionError) as caught:
        parse_query_file(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message


def test_bind_rejects_missing_unknown_and_mistyped_params(tmp_path: Path) -> None:
    path = write_query(
        tmp_path, HEADER.format(name="sample") + "// param limit: INTEGER = 5\nRETURN $limit"
    )
    query = parse_query_file(path)
    with pytest.raises(InvalidInput) as caught:
        query.bind({"limit": "ten", "extra": 1})
    problems = {(d["field"], d["message"].split(",")[0]) for d in caught.value.details}
    assert ("extra", "unknown parameter") in problems
    assert ("limit", "expected INTEGER") in problems
    with pytest.raises(InvalidInput, match="missing parameter"):
        query.bind({})


def test_the_project_queries_load_and_unknown_names_are_not_found() -> None:
    """Every file under cypher/queries loads, under its own file name, in the mode of its
    top directory (read/, write/); nothing else is in the set."""
    root = REPO_ROOT / "cypher" / "queries"
    queries = QuerySet.load(root)
    files = {path.stem: path.relative_to(root).parts[0] for path in root.rglob("*.cypher")}
    assert len(files) > 50
    assert {name: query.mode for name, query in queries.items()} == files
    with pytest.raises(NotFound):
        queries["no_such_query"]


def test_duplicate_names_across_directories_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_query(tmp_path / "a", HEADER.format(name="same") + "RETURN 1", "same")
    write_query(tmp_path / "b", HEADER.format(name="same") + "RETURN 1", "same")
    with pytest.raises(QueryDefinitionError, match="also used by"):
        QuerySet.load(tmp_path / "a", tmp_path / "b")


def test_show_browser_prints_a_paste_ready_block_for_every_query(
    capsys: pytest.CaptureFixture[str],
) -> None:
    queries = QuerySet.load(REPO_ROOT / "cypher" / "queries")
    # In-process: the command is the same function a shell runs, without an interpreter
    # start per query (one subprocess each took 50 s for the whole set).
    for query in queries.values():
        assert cli_main(["query", "show", query.name, "--browser"]) == 0
        stdout = capsys.readouterr().out
        lines = stdout.splitlines()
        param_lines = [line for line in lines if line.startswith(":param ")]
        assert [line.split()[1] for line in param_lines] == [p.name for p in query.params]
        assert stdout.rstrip().endswith(query.body.strip().splitlines()[-1].strip())
        # the Browser takes `:param name => literal;`, one per line, before the query
        assert all(" => " in line and line.endswith(";") for line in param_lines)
