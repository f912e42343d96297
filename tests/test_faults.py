"""Faults, with nothing lost: the database down when the API starts, the database killed
(`kill -9`) and restarted under a stream of imports from several clients, and concurrent
writers on overlapping ids.

Each test runs its own database (an embedded ArcadeDB engine in a temporary data dir), so
killing it never disturbs the session's engine. With CRIMEGRAPH_TEST_NEO4J_URI set the same
tests drive that Neo4j; the kill tests also need CRIMEGRAPH_TEST_NEO4J_KILL and
CRIMEGRAPH_TEST_NEO4J_START, shell commands that kill the server hard and start it again
(docs/security.md#fault-tests). Every client keeps a ledger of what it sent and what was
acknowledged (2xx); afterwards the graph must hold every acknowledged batch whole (ids and
content hashes), no batch in part, and no id twice. Run with `-s` to see the summary lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from neo4j import GraphDatabase
from neo4j import exceptions as neo4j_errors

import api.app
from api.app import create_app
from graph.access.auth import KeyStore, Role
from graph.core.settings import REPO_ROOT, Settings
from graph.db.dialect import ArcadeDBDialect, Neo4jDialect
from graph.db.engine import Connection, EmbeddedEngine, neo4j_connection
from graph.db.queries import QuerySet
from graph.db.store import Store, WriteStep
from graph.formats.export import FTM_EXTENSION
from graph.growth.imports import ImportOptions, dataset_id_for, run_import
from graph.model.schema import Model
from tests.conftest import NEO4J_URI, TEST_CYPHER

HEAP = "256m"
CLIENTS = 4
BATCHES_PER_CLIENT = 8
KILL_AFTER_ACKS = (6, 18)  # kill -9 the database once this many batches are acknowledged
DOWN_SECONDS = 0.5  # how long the database stays dead before it is started again
STREAM_DEADLINE = 60.0
OVERLAP_IMPORTERS = 4
OVERLAP_FILES_EACH = 3
RETRYABLE = {409, 503}  # a client tries these again; anything else but 2xx is a failure
SHARED_DOC = "doc-shared"
SHARED_QUOTE = "The shared networks and their people."
KILL_COMMAND = os.environ.get("CRIMEGRAPH_TEST_NEO4J_KILL")
START_COMMAND = os.environ.get("CRIMEGRAPH_TEST_NEO4J_START")
FTM_SCHEMA = {
    "Document": "Document",
    "Person": "Person",
    "CriminalNetwork": "Organization",
    "MEMBERSHIP": "Membership",
    "ASSOCIATE": "Associate",
}


# --- the database under test ---------------------------------------------------------------


class Target(Protocol):
    """A database the tests may start, kill and start again."""

    def settings(self, auth: Literal["keys", "disabled"] = "disabled") -> Settings: ...

    def expected_connection(self) -> Connection: ...

    def start(self) -> Connection: ...

    def kill(self) -> None: ...

    def close(self) -> None: ...


class EmbeddedTarget:
    """An embedded ArcadeDB engine of this test's own, in its own data dir."""

    kind = "arcadedb"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.engine = EmbeddedEngine(data_dir, "crimegraph", HEAP, 90.0)

    def settings(self, auth: Literal["keys", "disabled"] = "disabled") -> Settings:
        return Settings(
            data_dir=self.data_dir,
            neo4j_uri=None,
            engine_heap=HEAP,
            auth=auth,  # disabled is allowed on a loopback host only, which this is
            host="127.0.0.1",
            rate_limit_per_minute=0,
            # These tests kill and restart the database themselves, as they do Neo4j's; the
            # API's own restarts are tested in tests/test_supervisor.py.
            engine_supervise=False,
        )

    def expected_connection(self) -> Connection:
        return self.engine.expected_connection()

    def start(self) -> Connection:
        connection, pid = self.engine.ensure_running_pid()
        assert pid is not None, "the engine was expected to be down"
        return connection

    def kill(self) -> None:
        state = self.engine.running_state()
        assert state is not None, "the engine was expected to run"
        os.kill(state["pid"], signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(state["pid"], 0)  # the engine is a child of this process: reap it

    def close(self) -> None:
        self.engine.stop()


class Neo4jTarget:
    """The Neo4j of CRIMEGRAPH_TEST_NEO4J_URI, killed and started by shell commands."""

    kind = "neo4j"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def settings(self, auth: Literal["keys", "disabled"] = "disabled") -> Settings:
        return Settings(
            data_dir=self.data_dir,
            neo4j_uri=NEO4J_URI,
            neo4j_user=os.environ.get("CRIMEGRAPH_TEST_NEO4J_USER", "neo4j"),
            neo4j_password=os.environ.get("CRIMEGRAPH_TEST_NEO4J_PASSWORD", ""),
            neo4j_database=os.environ.get("CRIMEGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
            auth=auth,
            host="127.0.0.1",
            rate_limit_per_minute=0,
            # These tests kill and restart the database themselves, as they do Neo4j's; the
            # API's own restarts are tested in tests/test_supervisor.py.
            engine_supervise=False,
        )

    def expected_connection(self) -> Connection:
        return neo4j_connection(self.settings())

    def start(self) -> Connection:
        if START_COMMAND:
            subprocess.run(START_COMMAND, shell=True, check=True)
        connection = self.expected_connection()
        deadline = time.monotonic() + 180
        with GraphDatabase.driver(connection.uri, auth=connection.write_auth) as driver:
            while True:
                try:
                    driver.verify_connectivity()
                    return connection
                except neo4j_errors.DriverError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1.0)

    def kill(self) -> None:
        assert KILL_COMMAND, "CRIMEGRAPH_TEST_NEO4J_KILL is not set"
        subprocess.run(KILL_COMMAND, shell=True, check=True)

    def close(self) -> None:
        pass  # the server stays as the test left it: started


def make_target(tmp_path: Path, kills: bool) -> Target:
    if NEO4J_URI is None:
        return EmbeddedTarget(tmp_path / "engine")
    if kills and not (KILL_COMMAND and START_COMMAND):
        pytest.skip("needs CRIMEGRAPH_TEST_NEO4J_KILL and CRIMEGRAPH_TEST_NEO4J_START")
    return Neo4jTarget(tmp_path)


def open_store(target: Target, connection: Connection) -> Store:
    """A store with the test-only queries, over an empty graph with the schema applied."""
    settings = target.settings()
    queries = QuerySet.load(REPO_ROOT / "cypher" / "queries", TEST_CYPHER)
    store = Store(connection, queries, settings.query_timeout, settings.retry_time)
    store.apply_schema(settings.cypher_dir / "schema")
    store.run("clear_graph")
    return store


class Attached:
    """Stands in for the app's EngineHandle: the app connects to a database it neither
    starts nor stops (one the test starts only after the app is up)."""

    embedded = None  # nothing for the API to supervise

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def close(self) -> None:
        pass


@contextlib.contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """The app behind a real HTTP server (uvicorn, in a thread) on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


# --- batches and the client's ledger ---------------------------------------------------------


def content_hash(head: dict[str, Any], props: dict[str, Any]) -> str:
    text = json.dumps({"head": head, "properties": props}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Batch:
    """One import a client sends, and what became of it."""

    name: str
    body: bytes
    dataset_id: str
    nodes: dict[str, str]  # id -> content hash of the facts the file states
    relationships: dict[str, str]
    props: dict[str, dict[str, Any]]  # id -> the properties the file gives
    attempts: int = 0
    failures: list[str] = field(default_factory=list)  # status or transport error per try
    acknowledged: int | None = None  # the 2xx status that acknowledged it
    rejected: str | None = None  # a non-retryable answer (a bug: the test fails)


def cite(source: str, quote: str) -> dict[str, Any]:
    return {
        "source_ids": [source],
        "quote": quote,
        "quotes": [quote],
        "confidence": 70,
        "reliability": "B",
        "credibility": 2,
    }


class FileBuilder:
    """Builds one import file (FtM JSON lines with the crimegraph key) and its ledger."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.lines: list[str] = []
        self.nodes: dict[str, str] = {}
        self.rels: dict[str, str] = {}
        self.sent: dict[str, dict[str, Any]] = {}

    def node(self, node_id: str, label: str, props: dict[str, Any]) -> None:
        labels = list(self.model.labels_of(label))
        ext = {"labels": labels, "properties": props}
        item = {"id": node_id, "schema": FTM_SCHEMA[label], "properties": {}, FTM_EXTENSION: ext}
        self.lines.append(json.dumps(item))
        self.nodes[node_id] = content_hash({"labels": sorted(labels)}, props)
        self.sent[node_id] = props

    def rel(self, rel_id: str, rel_type: str, start: str, end: str, props: dict[str, Any]) -> None:
        ext = {"type": rel_type, "from": start, "to": end, "properties": props}
        item = {"id": rel_id, "schema": FTM_SCHEMA[rel_type], "properties": {}, FTM_EXTENSION: ext}
        self.lines.append(json.dumps(item))
        self.rels[rel_id] = content_hash({"type": rel_type, "from": start, "to": end}, props)
        self.sent[rel_id] = props

    def shared(self, networks: list[int], people: list[int]) -> None:
        """Records many files carry, always with the same content."""
        self.node(
            SHARED_DOC,
            "Document",
            {
                "name": "Shared report",
                "title": "Shared report",
                "text": SHARED_QUOTE,
                "retrieved": "2026-10-01",
                **cite(SHARED_DOC, "Shared report"),
            },
        )
        for j in networks:
            self.node(
                f"network-shared-{j}",
                "CriminalNetwork",
                {"name": f"Shared network {j}", **cite(SHARED_DOC, SHARED_QUOTE)},
            )
        for k in people:
            self.node(
                f"person-shared-{k}",
                "Person",
                {"name": f"Shared person {k}", **cite(SHARED_DOC, SHARED_QUOTE)},
            )

    def batch(self, name: str) -> Batch:
        body = "".join(line + "\n" for line in self.lines).encode("utf-8")
        dataset_id = dataset_id_for(hashlib.sha256(body).hexdigest(), ImportOptions())
        return Batch(name, body, dataset_id, self.nodes, self.rels, self.sent)


def build_batch(model: Model, client: int, number: int) -> Batch:
    """Eight nodes and four relationships: a document, three people and their memberships
    of their own; a shared document, network, two people and their association, which
    other batches carry too, with the same content (the overlap)."""
    tag = f"c{client}-b{number}"
    j = (client + number) % 3
    file = FileBuilder(model)
    doc = f"doc-{tag}"
    title = f"Report {tag}"
    file.node(
        doc,
        "Document",
        {
            "name": title,
            "title": title,
            "text": f"{title}: three members of shared network {j}.",
            "retrieved": "2026-11-01",
            **cite(doc, title),
        },
    )
    file.shared(networks=[j], people=[j, (j + 1) % 3])
    file.rel(
        f"associate-shared-{j}",
        "ASSOCIATE",
        f"person-shared-{j}",
        f"person-shared-{(j + 1) % 3}",
        cite(SHARED_DOC, SHARED_QUOTE),
    )
    for k in range(3):
        person = f"person-{tag}-{k}"
        file.node(
            person,
            "Person",
            {"name": f"Member {k} of {tag}", "aliases": [f"M{k}"], **cite(doc, title)},
        )
        file.rel(
            f"membership-{tag}-{k}",
            "MEMBERSHIP",
            person,
            f"network-shared-{j}",
            {"role": "member", **cite(doc, title)},
        )
    return file.batch(f"{tag}.ftm.jsonl")


def build_base(model: Model) -> Batch:
    """Every shared node and no relationship: imported first, it leaves the relationships
    between shared nodes as what concurrent imports race to create."""
    file = FileBuilder(model)
    file.shared(networks=[0, 1, 2], people=[0, 1, 2])
    return file.batch("base.ftm.jsonl")


def batches_for(model: Model, clients: int, per_client: int) -> list[list[Batch]]:
    return [[build_batch(model, c, b) for b in range(per_client)] for c in range(clients)]


@dataclass
class Stream:
    """The clients' shared state, for the test to watch."""

    acknowledged: int = 0
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_client(
    base: str, token: str, batches: list[Batch], stream: Stream, deadline: float
) -> None:
    """Send each batch until it is acknowledged, the same bytes every time (an import is
    idempotent by the file's hash), pausing a random, growing time after a failure."""
    headers = {"X-API-Key": token}
    with httpx.Client(base_url=base, timeout=60.0, headers=headers) as http:
        for batch in batches:
            pause = 0.1
            while batch.acknowledged is None and time.monotonic() < deadline:
                batch.attempts += 1
                with stream.lock:
                    stream.in_flight += 1
                try:
                    response = http.post(
                        "/api/v1/imports",
                        params={"file_name": batch.name},
                        content=batch.body,
                        headers={"Content-Type": "application/x-ndjson"},
                    )
                except httpx.TransportError as exc:
                    batch.failures.append(type(exc).__name__)
                else:
                    if response.is_success:
                        batch.acknowledged = response.status_code
                        with stream.lock:
                            stream.acknowledged += 1
                    elif response.status_code in RETRYABLE:
                        batch.failures.append(str(response.status_code))
                    else:
                        batch.rejected = f"{response.status_code}: {response.text[:500]}"
                        return
                finally:
                    with stream.lock:
                        stream.in_flight -= 1
                if batch.acknowledged is None:
                    time.sleep(random.uniform(pause / 2, pause))
                    pause = min(pause * 2, 1.0)


# --- checking the graph against the ledger ----------------------------------------------------


@dataclass
class Audit:
    acknowledged: int
    found: int
    duplicates: list[dict[str, Any]]
    problems: list[str]


def audit(store: Store, batches: list[Batch]) -> Audit:
    """Every acknowledged batch whole (ids, content hashes, its dataset id on each row, its
    Dataset record), no batch in part, no dataset id without its record, no id twice."""
    dump = store.run("canonical_dump")
    nodes = {r["id"]: r for r in dump if r["kind"] == "node" and "Dataset" not in r["labels"]}
    rels = {r["id"]: r for r in dump if r["kind"] == "rel"}
    datasets = {r["id"]: r["properties"] for r in dump if "Dataset" in r["labels"]}
    duplicates = store.run("duplicate_ids")
    problems: list[str] = []
    tagged: dict[str, set[str]] = {}  # dataset id -> ids of the rows that carry it
    for row in (*nodes.values(), *rels.values()):
        for dataset in row["properties"].get("dataset_ids", []):
            tagged.setdefault(dataset, set()).add(row["id"])
    found = 0
    by_dataset = {b.dataset_id: b for b in batches}
    for batch in batches:
        expected = set(batch.nodes) | set(batch.relationships)
        carried = tagged.get(batch.dataset_id, set())
        if carried and carried != expected:
            problems.append(f"{batch.name}: partly applied ({len(carried)}/{len(expected)})")
        if batch.acknowledged is None:
            if carried or batch.dataset_id in datasets:
                problems.append(f"{batch.name}: never acknowledged, yet stored")
            continue
        ok = carried == expected and batch.dataset_id in datasets
        for kind, rows, wanted in (
            ("node", nodes, batch.nodes),
            ("rel", rels, batch.relationships),
        ):
            for row_id, digest in wanted.items():
                row = rows.get(row_id)
                if row is None:
                    problems.append(f"{batch.name}: {kind} {row_id} missing")
                    ok = False
                    continue
                head = (
                    {"labels": sorted(row["labels"])}
                    if kind == "node"
                    else {"type": row["labels"][0], "from": row["from_id"], "to": row["to_id"]}
                )
                if stored_hash(head, row["properties"], batch.props[row_id]) != digest:
                    problems.append(f"{batch.name}: {kind} {row_id} content differs")
                    ok = False
        record = datasets.get(batch.dataset_id)
        if record is not None and (
            record["nodes"] != len(batch.nodes)
            or record["relationships"] != len(batch.relationships)
            or record["sha256"] != hashlib.sha256(batch.body).hexdigest()
        ):
            problems.append(f"{batch.name}: Dataset record {record} does not match")
            ok = False
        found += ok
    for dataset in set(tagged) | set(datasets):
        if dataset not in by_dataset:
            problems.append(f"dataset {dataset} belongs to no batch sent")
        elif dataset not in datasets:
            problems.append(f"rows carry dataset {dataset}, which has no Dataset record")
    return Audit(sum(b.acknowledged is not None for b in batches), found, duplicates, problems)


def stored_hash(head: dict[str, Any], stored: dict[str, Any], sent: dict[str, Any]) -> str:
    """The content hash of a stored row, over the properties the batch gave it."""
    if not sent.keys() <= stored.keys():
        return f"missing {sorted(sent.keys() - stored.keys())}"
    return content_hash(head, {name: stored[name] for name in sent})


def serial_dump(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A dump without what depends on the order of imports by design: Dataset records
    (their time and who ran them) and the order of the items in dataset_ids."""
    kept = []
    for row in rows:
        if "Dataset" in row["labels"]:
            continue
        props = dict(row["properties"])
        if "dataset_ids" in props:
            props["dataset_ids"] = sorted(props["dataset_ids"])
        kept.append({**row, "properties": props})
    return kept


# --- the tests -------------------------------------------------------------------------------


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == response.status_code
    return error


def test_the_api_starts_without_its_database_and_recovers_when_it_comes_up(
    tmp_path: Path, model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = make_target(tmp_path, kills=True)
    try:
        if isinstance(target, Neo4jTarget):
            target.kill()
        connection = target.expected_connection()
        monkeypatch.setattr(api.app, "EngineHandle", lambda settings: Attached(connection))
        batch = build_batch(model, 0, 0)
        with serve(create_app(target.settings())) as base, httpx.Client(base_url=base) as http:
            assert http.get("/health").status_code == 200
            ready = http.get("/ready")
            assert ready.status_code == 503 and ready.headers["Retry-After"]
            assert error_of(ready)["code"] == "database_unavailable"
            for response in (
                http.get("/api/v1/stats"),
                http.get("/api/v1/datasets"),
                http.post("/api/v1/imports", params={"file_name": batch.name}, content=batch.body),
            ):
                assert response.status_code == 503, response.text
                assert int(response.headers["Retry-After"]) > 0
                assert error_of(response)["code"] == "database_unavailable"

            started = target.start()
            assert started.uri == connection.uri, "the database came up where the API looks"
            ready = http.get("/ready")  # the schema is applied now, by this request
            assert ready.status_code == 200, ready.text
            imported = http.post(
                "/api/v1/imports", params={"file_name": batch.name}, content=batch.body
            )
            assert imported.status_code == 201, imported.text
            stats = http.get("/api/v1/stats").json()
            assert stats == {"nodes": len(batch.nodes), "relationships": len(batch.relationships)}
    finally:
        target.close()


def test_acknowledged_writes_survive_kill_9_of_the_database(tmp_path: Path, model: Model) -> None:
    target = make_target(tmp_path, kills=True)
    try:
        connection = target.start()
        with open_store(target, connection) as store:  # an empty graph with its schema
            # Keys on, as in production: while the database is down a key cannot be
            # checked either (503), unless the API process has it cached.
            _, token = KeyStore(store, ttl=0).create(
                "fault test", Role.ADMIN, created_by="tests/test_faults.py"
            )
        ledger = batches_for(model, CLIENTS, BATCHES_PER_CLIENT)
        batches = [b for client in ledger for b in client]
        stream = Stream()
        kills: list[dict[str, float]] = []
        with serve(create_app(target.settings(auth="keys"))) as base:
            began = time.monotonic()
            deadline = began + STREAM_DEADLINE
            clients = [
                threading.Thread(target=run_client, args=(base, token, mine, stream, deadline))
                for mine in ledger
            ]
            for thread in clients:
                thread.start()
            for threshold in KILL_AFTER_ACKS:
                while stream.acknowledged < threshold and any(t.is_alive() for t in clients):
                    time.sleep(0.01)
                with stream.lock:
                    kill = {"acknowledged": stream.acknowledged, "in_flight": stream.in_flight}
                kill["at_s"] = round(time.monotonic() - began, 1)
                target.kill()
                time.sleep(DOWN_SECONDS)  # clients meet a dead database meanwhile
                assert target.start().uri == connection.uri
                kill["up_again_s"] = round(time.monotonic() - began, 1)
                kills.append(kill)
            for thread in clients:
                thread.join(timeout=max(1.0, deadline - time.monotonic() + 5))
            stream_seconds = round(time.monotonic() - began, 1)
        with open_store_without_clearing(target, connection) as store:
            result = audit(store, batches)
    finally:
        target.close()

    failures = Counter(f for b in batches for f in b.failures)
    retries = sum(b.attempts - 1 for b in batches if b.attempts)
    print(
        f"\nfault test (kill -9 x{len(kills)}, {CLIENTS} clients, {len(batches)} batches of "
        f"8 nodes + 4 relationships): acknowledged={result.acknowledged} "
        f"found={result.found} duplicates={len(result.duplicates)} retries={retries} "
        f"failed attempts={dict(failures)}; kills={kills}; stream took {stream_seconds} s"
    )
    assert [b.rejected for b in batches if b.rejected] == []
    assert result.acknowledged == len(batches), "every batch is acknowledged in the end"
    assert result.problems == []
    assert result.duplicates == []
    assert result.found == result.acknowledged
    assert failures, "the kills were meant to fail some writes"


@contextlib.contextmanager
def open_store_without_clearing(target: Target, connection: Connection) -> Iterator[Store]:
    settings = target.settings()
    queries = QuerySet.load(REPO_ROOT / "cypher" / "queries", TEST_CYPHER)
    with Store(connection, queries, settings.query_timeout, settings.retry_time) as store:
        yield store


def concurrently(jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run the jobs in threads that start together; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@contextlib.contextmanager
def store_log() -> Iterator[list[str]]:
    """What the store logs about the conflicts it retried."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("crimegraph.store")
    handler = Collect(level=logging.INFO)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@pytest.fixture(scope="module")
def unkilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Target, Connection]]:
    """A database of this module's own for the tests that do not kill it: fresh when the
    module starts (the first nodes of each label set are written concurrently)."""
    target = make_target(tmp_path_factory.mktemp("unkilled"), kills=False)
    try:
        connection = (
            target.start() if isinstance(target, EmbeddedTarget) else target.expected_connection()
        )
        yield target, connection
    finally:
        target.close()


@pytest.mark.parametrize("shared_nodes_first", [False, True], ids=["fresh", "shared-nodes-first"])
def test_concurrent_imports_of_overlapping_files_equal_the_serial_run(
    unkilled: tuple[Target, Connection], model: Model, shared_nodes_first: bool
) -> None:
    """Into a fresh database (the first run: imports race to create the same nodes and the
    first node of each label set), then with the shared nodes stored first (imports race to
    create the same relationships between them and to add to their provenance)."""
    ledger = batches_for(model, OVERLAP_IMPORTERS, OVERLAP_FILES_EACH)
    batches = [b for client in ledger for b in client]
    base = build_base(model)
    with open_store(*unkilled) as store, store_log() as logged:
        revalidated: list[str] = []

        def importer(mine: list[Batch]) -> Callable[[], None]:
            def job() -> None:
                for batch in mine:
                    run_import(
                        store,
                        model,
                        batch.body,
                        file_name=batch.name,
                        imported_by="fault-test",
                        progress=lambda m: (
                            revalidated.append(m) if "validating again" in m else None
                        ),
                    )
                    batch.acknowledged = 201

            return job

        def import_base() -> None:
            if shared_nodes_first:
                run_import(store, model, base.body, file_name=base.name, imported_by="x")
                base.acknowledged = 201

        import_base()
        errors = concurrently([importer(mine) for mine in ledger])
        assert errors == []
        result = audit(store, [base, *batches] if shared_nodes_first else batches)
        concurrent_dump = serial_dump(store.run("canonical_dump"))

        store.run("clear_graph")
        import_base()
        for batch in batches:
            run_import(store, model, batch.body, file_name=batch.name, imported_by="x")
        serial = serial_dump(store.run("canonical_dump"))
    print(
        f"\noverlap test ({len(ledger)} importers, {len(batches)} files sharing ids, "
        f"{'shared nodes stored first' if shared_nodes_first else 'fresh database'}): "
        f"imported={result.acknowledged} found={result.found} "
        f"duplicates={len(result.duplicates)} re-validated={len(revalidated)} "
        f"store retries={sum('retrying' in m for m in logged)}"
    )
    assert result.problems == [] and result.duplicates == []
    assert concurrent_dump == serial


def test_concurrent_merges_of_the_same_ids_store_each_once(
    unkilled: tuple[Target, Connection],
) -> None:
    """Writers that MERGE the same ids at once (the seed loader's upsert): on ArcadeDB the
    losers meet duplicate keys and concurrent changes, which the store retries."""

    def rows(writer: int) -> list[dict[str, Any]]:
        shared = [
            {
                "id": f"person-merged-{i}",
                "label": "Person",
                "props": {"id": f"person-merged-{i}", "name": f"Merged {i}"},
            }
            for i in range(20)
        ]
        own = [
            {
                "id": f"person-w{writer}-{i}",
                "label": "Person",
                "props": {"id": f"person-w{writer}-{i}", "name": f"Own {i}"},
            }
            for i in range(5)
        ]
        return shared + own

    with open_store(*unkilled) as store, store_log() as logged:
        errors = concurrently(
            [
                (
                    lambda w=w: store.write_transaction(
                        [WriteStep("upsert_nodes", {"rows": rows(w)})]
                    )
                )
                for w in range(6)
            ]
        )
        assert errors == []
        assert store.run("duplicate_ids") == []
        concurrent_dump = store.run("canonical_dump")
        store.run("clear_graph")
        for w in range(6):
            store.write_transaction([WriteStep("upsert_nodes", {"rows": rows(w)})])
        assert store.run("canonical_dump") == concurrent_dump
    codes = Counter(m.split("(", 1)[1].split(")", 1)[0] for m in logged if "retrying" in m)
    print(f"\nmerge test (6 writers, 20 shared ids): store retries={dict(codes)}")


def test_the_dialect_names_the_failures_worth_retrying(
    unkilled: tuple[Target, Connection],
) -> None:
    """What each engine reports when a concurrent writer won; a real error is never one."""
    connection = unkilled[1]
    dialect = ArcadeDBDialect() if connection.kind == "arcadedb" else Neo4jDialect()
    with open_store(*unkilled):
        pass  # an empty graph; the schema with its unique constraints
    with GraphDatabase.driver(connection.uri, auth=connection.write_auth) as driver:
        db = connection.database

        def failure(run: Callable[[], object]) -> Exception:
            with pytest.raises(neo4j_errors.Neo4jError) as caught:
                run()
            return caught.value

        syntax = failure(lambda: driver.execute_query("RETURN nosuchfunction(1)", database_=db))
        assert not dialect.write_conflict(syntax)
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=db)
        driver.execute_query("CREATE (:Entity:Person {id: 'p-1'})", database_=db)
        if connection.kind != "arcadedb":
            return  # Neo4j locks: the two-transaction races below would wait forever
        # Two transactions write one record; the second to commit loses.
        with driver.session(database=db) as one, driver.session(database=db) as two:
            first, second = one.begin_transaction(), two.begin_transaction()
            first.run("MATCH (n:Entity {id: 'p-1'}) SET n.v = 1").consume()
            second.run("MATCH (n:Entity {id: 'p-1'}) SET n.v = 2").consume()
            first.commit()
            changed = failure(second.commit)
        assert isinstance(changed, neo4j_errors.TransientError)
        assert changed.code == "Neo.TransientError.Transaction.DeadlockDetected"
        # Two transactions MERGE one id.
        with driver.session(database=db) as one, driver.session(database=db) as two:
            first, second = one.begin_transaction(), two.begin_transaction()
            first.run("MERGE (d:Dataset {id: 'd-1'})").consume()
            second.run("MERGE (d:Dataset {id: 'd-1'})").consume()
            first.commit()
            duplicate = failure(second.commit)
        assert isinstance(duplicate, neo4j_errors.ConstraintError)
        assert duplicate.message.startswith("Duplicated key")
        assert dialect.write_conflict(changed) and dialect.write_conflict(duplicate)
        assert Neo4jDialect().write_conflict(changed), "a deadlock on Neo4j is one too"
        assert not Neo4jDialect().write_conflict(duplicate), "Neo4j's MERGE locks the key"
        # A deterministic failure inside a statement is not one.
        in_statement = failure(
            lambda: driver.execute_query(
                "UNWIND [1, 2] AS x CREATE (:Entity:Person {id: 'p-2'})", database_=db
            )
        )
        assert not dialect.write_conflict(in_statement)
        # Writers that create the first nodes of a new label set at once race to create
        # its type; the losers get a bare "Error executing Cypher command" SemanticError.
        raced = first_nodes_of_new_label_sets(driver, db)
        assert raced, "no race met in 20 rounds"
        assert {(e.code, type(e).__name__) for e in raced} == {
            ("Neo.ClientError.Statement.SemanticError", "ClientError")
        }
        assert all(dialect.write_conflict(e) for e in raced)
        assert not any(Neo4jDialect().write_conflict(e) for e in raced)


def first_nodes_of_new_label_sets(driver: Any, db: str) -> list[neo4j_errors.Neo4jError]:
    """Four writers create the first node of a new label set at once, up to 20 times over
    (new label sets each time, never used elsewhere); what the losers met."""
    for round_number in range(20):
        query = f"CREATE (:Entity:FaultProbe{round_number} {{id: $id}})"
        ids = [f"probe-{round_number}-{i}" for i in range(4)]
        errors = concurrently(
            [
                (lambda q=query, node_id=node_id: driver.execute_query(q, id=node_id, database_=db))
                for node_id in ids
            ]
        )
        if errors:
            assert all(isinstance(e, neo4j_errors.Neo4jError) for e in errors), errors
            return [e for e in errors if isinstance(e, neo4j_errors.Neo4jError)]
    return []
