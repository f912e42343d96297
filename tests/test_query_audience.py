"""The named queries an investigator is offered: tagged in their headers, listed by audience,
and every header example a valid request (the /explore form fills the form with them).

The issue (15) found plumbing queries (candidate_by_id, graph_totals...) in the /explore list,
8 queries that returned nothing with their own examples and all_links's example over the
10,000 cap (a 422).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.core.errors import QueryDefinitionError
from graph.core.settings import REPO_ROOT
from graph.db.queries import AUDIENCES, parse_query_file
from graph.db.store import Store

READ_DIR = REPO_ROOT / "cypher" / "queries" / "read"
# The queries the issue named as plumbing, offered to investigators before.
PLUMBING = {"candidate_by_id", "graph_totals", "resolution_decision", "all_links"}


def test_every_read_query_says_who_it_is_for() -> None:
    for path in sorted(READ_DIR.glob("*.cypher")):
        header = [line for line in path.read_text().splitlines() if line.startswith("//")]
        tags = [line.split(":", 1)[1].strip() for line in header if line.startswith("// audience:")]
        assert len(tags) == 1 and tags[0] in AUDIENCES, f"{path.name}: `// audience:` {tags}"


def test_an_unknown_audience_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "odd.cypher"
    path.write_text(
        "// name: odd\n// mode: read\n// description: x\n// audience: everyone\nRETURN 1 AS one\n"
    )
    with pytest.raises(QueryDefinitionError, match="audience must be investigator or plumbing"):
        parse_query_file(path)
    untagged = tmp_path / "untagged.cypher"
    untagged.write_text("// name: untagged\n// mode: read\n// description: x\nRETURN 1 AS one\n")
    assert parse_query_file(untagged).audience == "plumbing"  # never listed by mistake


def test_the_main_list_holds_the_investigators_queries_only(client: TestClient) -> None:
    main = {q["name"]: q for q in client.get("/api/v1/queries", params={"mode": "read"}).json()}
    assert "entity_links" in main and "incidents" in main
    assert not PLUMBING & set(main), sorted(PLUMBING & set(main))
    assert {q["audience"] for q in main.values()} == {"investigator"}
    every = client.get("/api/v1/queries", params={"mode": "read", "audience": "all"}).json()
    assert {q["name"] for q in every} >= PLUMBING
    plumbing = client.get("/api/v1/queries", params={"audience": "plumbing"}).json()
    assert {q["audience"] for q in plumbing} == {"plumbing"}
    assert len(main) + len(plumbing) == len(every)
    assert client.get("/api/v1/queries", params={"audience": "nobody"}).status_code == 422


def test_every_listed_query_runs_with_its_own_examples(
    client: TestClient, seeded_module: Store
) -> None:
    """What an admin may list (every audience), run as the form would send it: with the
    header's examples. All answer 200; the investigators' ones find something in the seed."""
    every = client.get("/api/v1/queries", params={"mode": "read", "audience": "all"}).json()
    assert len(every) >= 36
    failures, empty = [], []
    for query in every:
        params = {p["name"]: p["example"] for p in query["params"]}
        response = client.post(f"/api/v1/queries/{query['name']}/graph", json=params)
        if response.status_code != 200:
            failures.append(f"{query['name']}: {response.status_code} {response.text[:200]}")
        elif query["audience"] == "investigator" and not response.json()["rows"]:
            empty.append(query["name"])
    assert not failures, failures
    assert not empty, f"no row on the seed with the header's examples: {empty}"
