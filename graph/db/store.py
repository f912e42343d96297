"""The one database code path: named queries through the official neo4j driver over Bolt.

Reads run in managed read transactions as the read-only user, writes in managed write
transactions; both with a timeout and `metadata={"query": name}`, so a slow query can be
found by name in the server's query log. Nothing here builds Cypher from strings.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
from neo4j import Driver, GraphDatabase, ManagedTransaction, Transaction, unit_of_work
from neo4j import exceptions as neo4j_errors
from neo4j import time as neo4j_time

from graph.core.errors import (
    AnalystsBusy,
    ConstraintViolation,
    CrimegraphError,
    DatabaseUnavailable,
    InvalidInput,
    QueryDefinitionError,
    QueryTimeout,
    ReadOnlyViolation,
    ResultTooLarge,
    WriteConflict,
)
from graph.db import view
from graph.db.dialect import (
    CypherStatement,
    Dialect,
    EngineStatement,
    dialect_for,
    parse_fulltext_index,
    run_engine_statement,
    terminate_queries,
)
from graph.db.engine import Connection
from graph.db.migrations import migrate, move_security_records
from graph.db.queries import ENGINE_PARAMS, HANDLING_PARAMS, NamedQuery, QuerySet

Row = dict[str, Any]
log = logging.getLogger("crimegraph.store")
_STATEMENT_END = re.compile(r";\s*(?:\n|$)")
_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
# Write transactions that lose to concurrent writes (graph.db.dialect says which failures
# those are) run again, after a random pause that grows, so writers that collided do not
# collide again in step.
CONFLICT_RETRIES = 4
CONFLICT_BACKOFF = 0.025  # seconds; the n-th retry waits up to CONFLICT_BACKOFF * 2**n
# Records the driver asks the engine for at a time on the analysts' path: a result cut at
# the byte budget leaves at most this many records in flight to be discarded.
ANALYST_FETCH_SIZE = 100
ANALYST_RESULT_BYTES = 16 * 1024 * 1024  # default byte budget of one analyst answer


_PLAIN = (str, int, float, type(None))  # bool is an int: plain too


def to_python(value: Any) -> Any:
    """Driver values as plain Python: graph objects as dicts, temporal values as ISO text.
    Plain values go through untouched without the checks below: most of a traversal's rows
    are strings and numbers, and the checks cost as much as the driver's own decoding."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {k: v if isinstance(v, _PLAIN) else to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if isinstance(v, _PLAIN) else to_python(v) for v in value]
    if isinstance(value, neo4j.graph.Node):
        return {"labels": sorted(value.labels), "properties": to_python(dict(value))}
    if isinstance(value, neo4j.graph.Relationship):
        return {"type": value.type, "properties": to_python(dict(value))}
    if isinstance(value, neo4j.graph.Path):
        return {
            "nodes": [to_python(n) for n in value.nodes],
            "relationships": [to_python(r) for r in value.relationships],
        }
    if isinstance(value, neo4j_time.Date | neo4j_time.DateTime | neo4j_time.Time):
        return value.iso_format()
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_python(v) for v in value]
    return value


_GRAPH = (neo4j.graph.Node, neo4j.graph.Relationship, neo4j.graph.Path)


def _holds_graph_object(value: Any) -> bool:
    if isinstance(value, _GRAPH):
        return True
    if isinstance(value, list):
        return any(_holds_graph_object(v) for v in value if not isinstance(v, _PLAIN))
    if isinstance(value, dict):
        return any(_holds_graph_object(v) for v in value.values() if not isinstance(v, _PLAIN))
    return False


def record_row(keys: Sequence[str], record: neo4j.Record) -> Row:
    """A record as a plain dict. `Record.data()` costs ten times `dict(zip(...))` (3.3 ms
    against 0.4 ms for a 2-hop level of 201 rows, benchmarks/README.md), so it is kept for
    records holding nodes, relationships or paths, whose shape it defines."""
    if any(_holds_graph_object(v) for v in record if not isinstance(v, _PLAIN)):
        converted: Row = to_python(record.data())
        return converted
    return {
        k: v if isinstance(v, _PLAIN) else to_python(v) for k, v in zip(keys, record, strict=True)
    }


def _translate_error(exc: Exception, query: str) -> Exception:
    """The crimegraph error for a driver failure; anything else is returned unchanged."""
    # Values Bolt cannot carry, found while the driver packs the parameters.
    if isinstance(exc, UnicodeEncodeError):
        return InvalidInput(f"query {query}: a text value is not valid Unicode (a lone surrogate?)")
    if isinstance(exc, OverflowError):
        return InvalidInput(f"query {query}: a number is out of range (integers are 64-bit)")
    if isinstance(exc, neo4j_errors.ServiceUnavailable | neo4j_errors.SessionExpired):
        # The driver's text names internal addresses: it goes to the log, not to clients.
        log.warning("database unreachable during %s: %s", query, exc)
        return DatabaseUnavailable("the graph database is unreachable; try again shortly")
    if isinstance(exc, neo4j_errors.Neo4jError):
        code = exc.code or ""
        if "TransactionTimedOut" in code or "Timeout" in code:
            return QueryTimeout(f"query {query} exceeded its time limit")
        if isinstance(exc, neo4j_errors.TransientError):
            log.warning("database busy or unavailable during %s: %s", query, exc)
            return DatabaseUnavailable("the graph database is busy; try again shortly")
        if code.endswith("Security.Forbidden") or "AccessMode" in code:
            return ReadOnlyViolation(f"query {query} was refused by the database: {exc.message}")
        if isinstance(exc, neo4j_errors.ConstraintError):
            return ConstraintViolation(f"query {query} violates a constraint: {exc.message}")
        if isinstance(exc, neo4j_errors.ClientError):
            return InvalidInput(f"query {query} was rejected: {exc.message}")
    if isinstance(exc, neo4j_errors.DriverError):
        return DatabaseUnavailable(f"graph database error during {query}: {exc}")
    return exc


def _encoded_size(row: list[Any]) -> int:
    """Bytes of a row in the API's JSON answer (UTF-8, as FastAPI sends it)."""
    text = json.dumps(row, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8", "surrogatepass")) + 1  # and the comma after it


def _stream_rows(
    result: neo4j.Result, row_cap: int, byte_budget: int
) -> tuple[list[str], list[list[Any]], bool]:
    """(columns, rows, truncated) of an analyst query's result, read record by record: at
    `row_cap` rows it stops reading (truncated), past `byte_budget` bytes of encoded JSON it
    stops reading and raises ResultTooLarge. The caller closes the transaction, which
    discards the rest in the engine, so neither bound lets the answer grow first."""
    columns = list(result.keys())
    rows: list[list[Any]] = []
    size = len(json.dumps(columns, ensure_ascii=False)) + 64  # the envelope's keys
    for record in result:
        if len(rows) == row_cap:
            return columns, rows, True
        row = [to_python(value) for value in record.values()]
        size += _encoded_size(row)
        if size > byte_budget:
            raise ResultTooLarge(
                f"the result is larger than {byte_budget:,} bytes of JSON (the limit, "
                f"CRIMEGRAPH_ANALYST_MAX_RESULT_BYTES) after {len(rows):,} rows; return fewer "
                "or shorter values, or a lower limit",
                details=[
                    {
                        "field": "body.query",
                        "message": f"result over {byte_budget} bytes",
                        "limit_bytes": byte_budget,
                        "rows_read": len(rows),
                    }
                ],
            )
        rows.append(row)
    return columns, rows, False


@dataclass(frozen=True)
class WriteStep:
    """One named write query of a multi-step transaction, with its parameters."""

    query: str
    params: Mapping[str, Any]


class Store:
    """Runs named queries on one database; owns its drivers."""

    def __init__(
        self,
        connection: Connection,
        queries: QuerySet,
        timeout: float,
        retry_time: float = 1.0,
        analyst_concurrency: int = 2,
        analyst_result_bytes: int = ANALYST_RESULT_BYTES,
        analyst_runaway_grace: float = 10.0,
    ) -> None:
        self.connection = connection
        self.analyst_result_bytes = analyst_result_bytes
        self.analyst_runaway_grace = analyst_runaway_grace
        # Told the engine ids of an analyst query that runs on after `terminate query`
        # (graph.db.supervisor.EngineSupervisor.restart_for_runaway, set by the API).
        self.on_runaway: Callable[[list[str]], object] | None = None
        self.queries = queries
        self.timeout = timeout
        self.retry_time = retry_time
        self.dialect: Dialect = dialect_for(connection.kind)
        self._write_driver, self._read_driver = self._drivers(connection)
        # One chain of bookmarks for both users' sessions: in a cluster, a read follows the
        # writes this store made before it (graph.db.dialect, 7.).
        self.bookmarks: neo4j.BookmarkManager | None = (
            GraphDatabase.bookmark_manager() if self.dialect.causal_consistency else None
        )
        self.fulltext_indexes: dict[str, str] = {}
        self.schema_applied = False
        self._readers = concurrent.futures.ThreadPoolExecutor(
            max_workers=16, thread_name_prefix="crimegraph-read"
        )
        # Analysts' queries have slots of their own, held until the engine has stopped the
        # query (not when the request gives up), so runaway ones cannot pile up in the engine.
        self._analysts = concurrent.futures.ThreadPoolExecutor(
            max_workers=analyst_concurrency, thread_name_prefix="crimegraph-analyst"
        )
        self._analyst_slots = threading.BoundedSemaphore(analyst_concurrency)
        self._security: Store | None = None
        self._security_lock = threading.Lock()
        self._boundary_problem: str | None = None
        self._boundary_checked = False
        # Write transactions this store has committed: what changed the graph since a
        # moment, without asking the database (graph.growth.ingest keeps its name matcher by it).
        self.commits = 0
        self._commits_lock = threading.Lock()

    @property
    def security(self) -> Store:
        """The store of the security database (API keys, graph.access.auth), which only the service
        user opens; this store itself where there is no separate one (Neo4j Community)."""
        if not self.connection.separate_security_database:
            return self
        with self._security_lock:
            if self._security is None:
                self._security = Store(
                    self.connection.security(), self.queries, self.timeout, self.retry_time, 1
                )
            return self._security

    def analyst_boundary_problem(self) -> str | None:
        """Why the database itself cannot keep API key records from analysts' queries (None
        when it can): the keys must sit in a database the read user fails to open. Checked
        once per store by trying, as the read user."""
        if self._boundary_checked:
            return self._boundary_problem
        connection = self.connection
        problem: str | None = None
        if not connection.separate_security_database:
            problem = (
                "API keys are stored in the database analysts query (no separate security "
                "database is configured)"
            )
        elif connection.read_auth == connection.write_auth:
            problem = "analysts' queries run as the service user, who can open the API keys"
        else:
            try:
                self._read_driver.execute_query(
                    "RETURN 1 AS one",
                    database_=connection.security().database,
                    routing_=neo4j.RoutingControl.READ,
                )
                problem = (
                    f"the read user can open the security database {connection.security_database!r}"
                )
            except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
                raise _translate_error(exc, "security check") from exc
            except (neo4j_errors.Neo4jError, neo4j_errors.DriverError):
                problem = None  # refused: the engine keeps the promise
        self._boundary_problem, self._boundary_checked = problem, True
        return problem

    def _drivers(self, connection: Connection) -> tuple[Driver, Driver]:
        """The write and read drivers of a connection (one, when both users are the same)."""
        # Retries ride out a leader change in a cluster, but a database that is down must
        # give a prompt 503, not a request that hangs for the driver's default 30 s.
        config: dict[str, Any] = {
            "max_transaction_retry_time": self.retry_time,
            "connection_timeout": 5.0,
            "connection_acquisition_timeout": max(self.timeout, 5.0),
        }
        write = GraphDatabase.driver(connection.uri, auth=connection.write_auth, **config)
        if connection.read_auth == connection.write_auth:
            return write, write
        return write, GraphDatabase.driver(connection.uri, auth=connection.read_auth, **config)

    def reconnect(self, connection: Connection) -> None:
        """Follow the same database to a new address (the embedded engine restarted on other
        ports, graph.db.supervisor): new drivers, the old ones closed. A request still on an
        old driver fails as if the database were down (503) and may be tried again."""
        old = (self._write_driver, self._read_driver)
        self._write_driver, self._read_driver = self._drivers(connection)
        self.connection = connection
        if self._security is not None:
            self._security.reconnect(connection.security())
        for driver in dict.fromkeys(old):
            driver.close()

    def close(self) -> None:
        if self._security is not None:
            self._security.close()
        self._readers.shutdown(wait=False, cancel_futures=True)
        self._analysts.shutdown(wait=False, cancel_futures=True)
        if self._read_driver is not self._write_driver:
            self._read_driver.close()
        self._write_driver.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine(self) -> str:
        return self.connection.kind

    def ping(self) -> str:
        """Check the database answers; return its agent string."""
        try:
            self._read_driver.verify_connectivity()
            return self._read_driver.get_server_info().agent
        except Exception as exc:  # every driver failure here means "not reachable"
            log.warning("database unreachable: %s", exc)
            raise DatabaseUnavailable(
                "the graph database is unreachable; try again shortly"
            ) from exc

    def run(self, name: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a named query (read or write, per its header) and return its rows."""
        query = self.queries[name]
        bound = query.bind(self._with_engine_params(query, params or {}))
        note = view.note_query(name)  # the request's audit record lists the queries it ran
        if query.mode == "read":
            rows = self._read_with_deadline(query, bound)
        else:
            rows = self._execute(query, self._write_driver, neo4j.WRITE_ACCESS, [(query, bound)])[0]
        note.rows = len(rows)
        return rows

    def run_analyst_text(
        self, text: str, params: Mapping[str, Any], row_cap: int
    ) -> tuple[list[str], list[list[Any]], bool]:
        """Run an analyst's Cypher text (already passed graph.db.readonly's guard) in a read
        transaction as the read-only user, with the timeout; keep at most row_cap rows.
        Returns (columns, rows, truncated). The one place client Cypher text is executed.
        At most `analyst_concurrency` run at once (AnalystsBusy beyond); one that outlives
        the timeout is stopped in the engine, not only abandoned (graph.db.dialect, note 4).
        Sent once: an explicit transaction, which the driver never retries. An answer over
        `analyst_result_bytes` of JSON is refused (ResultTooLarge) while it streams."""
        if not self._analyst_slots.acquire(blocking=False):
            raise AnalystsBusy(
                "every slot for analysts' queries is taken; try again shortly",
            )
        # A comment that names this one query in the engine's list of running queries.
        marker = f"crimegraph-analyst-{secrets.token_hex(8)}"
        tagged = f"/* {marker} */\n{text}"

        budget = self.analyst_result_bytes

        def execute() -> tuple[list[str], list[list[Any]], bool]:
            try:
                # An explicit transaction, never a managed one: the driver retries those on a
                # lost connection, and would send an abandoned query again to an engine that
                # was restarted to stop it. A dead connection is this request's 503.
                with self._session(
                    self._read_driver, neo4j.READ_ACCESS, fetch_size=ANALYST_FETCH_SIZE
                ) as session:
                    tx = session.begin_transaction(
                        metadata={"query": "analyst"}, timeout=self.timeout
                    )
                    try:
                        answer = _stream_rows(tx.run(tagged, dict(params)), row_cap, budget)
                        # Nothing to commit for a read, but ArcadeDB checks the read-only
                        # user's rights here: a write the guard missed fails at commit.
                        tx.commit()
                        return answer
                    finally:
                        if not tx.closed():
                            # A rollback, which drops the rest of the result; on a connection
                            # that died it fails too, and the error on its way says enough.
                            with contextlib.suppress(
                                neo4j_errors.Neo4jError, neo4j_errors.DriverError
                            ):
                                tx.close()
            except CrimegraphError:
                raise
            except RecursionError:
                # The driver packs parameters and unpacks results recursively: a value nested
                # hundreds deep (`reduce(a=[], x IN range(1,500) | [a])`) exhausts the stack.
                raise InvalidInput(
                    "the query's parameters or result are nested too deeply to be sent; "
                    "return flatter values",
                    details=[{"field": "body.query", "message": "nested too deeply"}],
                ) from None
            except Exception as exc:
                translated = _translate_error(exc, "analyst query")
                if translated is exc and isinstance(exc, neo4j_errors.Neo4jError):
                    # The analyst's text is the cause (an unknown function, say), whatever
                    # class of error the engine files it under.
                    translated = InvalidInput(
                        f"the database could not run the query: {exc.message}"
                    )
                if translated is exc:
                    raise
                raise translated from exc

        note = view.note_query("analyst")
        try:
            future = self._analysts.submit(execute)
        except RuntimeError:  # the store is closing
            self._analyst_slots.release()
            raise
        future.add_done_callback(lambda _: self._analyst_slots.release())
        try:
            columns, rows, truncated = future.result(timeout=self.timeout + 1.0)
        except concurrent.futures.TimeoutError:
            threading.Thread(
                target=self._stop_analyst_query,
                args=(marker, future),
                name="crimegraph-analyst-stop",
                daemon=True,
            ).start()
            raise QueryTimeout(
                f"the query took longer than {self.timeout:g} s and was stopped"
            ) from None
        note.rows = len(rows)
        return columns, rows, truncated

    def _stop_analyst_query(self, marker: str, future: concurrent.futures.Future[Any]) -> None:
        """Have the engine terminate an abandoned analyst query, again until its worker has
        returned (a query still waiting for the engine's admission is not listed yet). One
        the engine still lists `analyst_runaway_grace` seconds after it was first told is
        bound by one expression, which ArcadeDB cannot stop: it goes to `on_runaway` (the
        API's engine supervisor, which may restart the engine) and is asked no more."""
        told: float | None = None  # when the engine first listed it and was told to stop it
        give_up = time.monotonic() + self.analyst_runaway_grace + 20.0
        while not future.done() and time.monotonic() < give_up:
            try:
                running = terminate_queries(self.connection, marker)
            except (OSError, ValueError) as exc:
                log.warning("could not terminate an abandoned analyst query: %s", exc)
                running = []
            if running:
                if told is None:
                    told = time.monotonic()
                    log.warning("analyst query %s terminated at the timeout", ", ".join(running))
                elif time.monotonic() - told >= self.analyst_runaway_grace:
                    log.error(
                        "analyst query %s still runs %g s after it was terminated",
                        ", ".join(running),
                        self.analyst_runaway_grace,
                    )
                    if self.on_runaway is not None:
                        self.on_runaway(running)
                    return
            with contextlib.suppress(concurrent.futures.TimeoutError):
                future.exception(timeout=1.0)

    def _with_engine_params(self, query: NamedQuery, params: Mapping[str, Any]) -> dict[str, Any]:
        """The caller's parameters plus those crimegraph fills: the engine's fulltext index
        name, and the handling filter of the current context (graph.db.view). Called on
        the caller's thread, where the request's context is."""
        values = dict(params)
        handling: dict[str, Any] | None = None
        for param in query.params:
            if param.name in ENGINE_PARAMS:
                if param.name in values:
                    raise InvalidInput(f"{param.name} is set by crimegraph, not by the caller")
                if param.name in HANDLING_PARAMS:
                    handling = handling or view.current().params()
                    values[param.name] = handling[param.name]
                else:
                    values[param.name] = self.fulltext_index(param.example)
        return values

    def _read_with_deadline(self, query: NamedQuery, params: dict[str, Any]) -> list[Row]:
        """Reads stop waiting at the timeout even where the engine ignores the transaction
        timeout (ArcadeDB does, see graph.db.dialect): the caller gets QueryTimeout, not a hung
        request. Writes are never abandoned this way; a caller must know whether they ran."""
        future = self._readers.submit(
            self._execute, query, self._read_driver, neo4j.READ_ACCESS, [(query, params)]
        )
        try:
            return future.result(timeout=self.timeout + 1.0)[0]
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise QueryTimeout(
                f"query {query.name} took longer than {self.timeout:g} s and was abandoned; "
                "narrow it (fewer hops, a lower limit) or try again later"
            ) from None

    def write_transaction(
        self,
        steps: Iterable[WriteStep],
        progress: Callable[[int, WriteStep, list[Row]], None] | None = None,
        label: str = "batch",
        timeout: float | None = None,
        conflict_retries: int | None = None,
    ) -> list[list[Row]]:
        """Run several named write queries in ONE transaction: all apply, or none does.
        `timeout` (seconds) replaces the store's query timeout for this one transaction
        (a large import needs longer than a request). A transaction that loses to
        concurrent writes runs again up to `conflict_retries` times (default
        CONFLICT_RETRIES), then raises WriteConflict; 0 suits a caller that must look at
        the graph again before retrying."""
        step_list = list(steps)
        bound: list[tuple[NamedQuery, dict[str, Any]]] = []
        for step in step_list:
            query = self.queries[step.query]
            if query.mode != "write":
                raise InvalidInput(f"{step.query} is a read query")
            bound.append((query, query.bind(step.params)))
        if not bound:
            return []
        for step in step_list:
            view.note_query(step.query)
        on_step: Callable[[int, list[Row]], None] | None = None
        if progress is not None:
            report = progress

            def on_step(index: int, rows: list[Row]) -> None:
                report(index, step_list[index], rows)

        return self._execute(
            bound[0][0],
            self._write_driver,
            neo4j.WRITE_ACCESS,
            bound,
            on_step,
            label,
            timeout,
            conflict_retries,
        )

    def _execute(
        self,
        first: NamedQuery,
        driver: Driver,
        access_mode: str,
        statements: Sequence[tuple[NamedQuery, dict[str, Any]]],
        on_step: Callable[[int, list[Row]], None] | None = None,
        label: str | None = None,
        timeout: float | None = None,
        conflict_retries: int | None = None,
    ) -> list[list[Row]]:
        name = label or first.name

        def run(tx: Transaction | ManagedTransaction) -> list[list[Row]]:
            results: list[list[Row]] = []
            for index, (query, params) in enumerate(statements):
                result = tx.run(query.body, params)
                keys = result.keys()
                rows = [record_row(keys, record) for record in result]
                results.append(rows)
                if on_step is not None:
                    on_step(index, rows)
            return results

        try:
            if access_mode == neo4j.WRITE_ACCESS:
                return self._write(driver, run, name, timeout or self.timeout, conflict_retries)
            with self._session(driver, access_mode) as session:
                work = unit_of_work(timeout=timeout or self.timeout, metadata={"query": name})
                return session.execute_read(work(run))
        except CrimegraphError:
            raise
        except Exception as exc:
            translated = _translate_error(exc, name)
            if translated is exc:
                raise
            raise translated from exc

    def _session(
        self, driver: Driver, access_mode: str, fetch_size: int | None = None
    ) -> neo4j.Session:
        options: dict[str, Any] = {} if fetch_size is None else {"fetch_size": fetch_size}
        return driver.session(
            database=self.connection.database,
            default_access_mode=access_mode,
            bookmark_manager=self.bookmarks,
            **options,
        )

    def _write(
        self,
        driver: Driver,
        run: Callable[[Transaction], list[list[Row]]],
        name: str,
        timeout: float,
        conflict_retries: int | None,
    ) -> list[list[Row]]:
        """One write transaction, retried here rather than by the driver, whose first retry
        waits a whole second: a lost connection (a cluster's leader change) until
        `retry_time` has passed, a conflict with concurrent writers (graph.db.dialect says
        which failures are) up to `conflict_retries` times after a short random pause."""
        retries = CONFLICT_RETRIES if conflict_retries is None else conflict_retries
        conflicts = 0
        give_up = time.monotonic() + self.retry_time
        while True:
            try:
                with self._session(driver, neo4j.WRITE_ACCESS) as session:
                    tx = session.begin_transaction(metadata={"query": name}, timeout=timeout)
                    with tx:  # leaving the block without commit (an exception) rolls back
                        result = run(tx)
                        tx.commit()
                        with self._commits_lock:
                            self.commits += 1
                        return result
            except CrimegraphError:
                raise
            except Exception as exc:
                if self.dialect.write_conflict(exc):
                    if conflicts == retries:
                        if isinstance(exc, neo4j_errors.ConstraintError):
                            raise  # the id is taken for good (ConstraintViolation)
                        raise WriteConflict(
                            f"{name} met concurrent writes to the same records; nothing was "
                            "written, try again"
                        ) from exc
                    conflicts += 1
                    code = getattr(exc, "code", None) or type(exc).__name__
                    log.info("%s met a concurrent write (%s); retrying", name, code)
                    time.sleep(random.uniform(0, CONFLICT_BACKOFF * 2**conflicts))
                    continue
                if (
                    isinstance(exc, neo4j_errors.DriverError | neo4j_errors.Neo4jError)
                    and exc.is_retryable()
                    and time.monotonic() < give_up
                ):
                    time.sleep(random.uniform(0.05, 0.2))
                    continue
                raise

    def apply_schema(self, schema_dir: Path) -> int:
        """Apply cypher/schema/*.cypher idempotently, and cypher/schema/security/*.cypher to
        the security database; move API keys left in the graph by older versions there
        (graph.db.migrations.move_security_records); then run the migrations the database has
        not had (graph.db.migrations, from the `migrations` directory beside `schema_dir`).
        Returns the number of schema statements run."""
        self.ping()
        count = self._apply_schema_files(schema_dir, sorted(schema_dir.glob("*.cypher")))
        security = self.security
        count += security._apply_schema_files(
            schema_dir, sorted((schema_dir / "security").glob("*.cypher"))
        )
        if security is not self:
            move_security_records(self, security)
            security.schema_applied = True
        migrate(self, schema_dir.parent / "migrations")
        self.schema_applied = True
        return count

    def _apply_schema_files(self, schema_dir: Path, paths: Sequence[Path]) -> int:
        count = 0
        for path in paths:
            count += self.run_schema_file(path)
        for final in self.dialect.after_schema():
            self._run_schema_statement(final, schema_dir)
        return count

    def run_schema_file(self, path: Path) -> int:
        """Run a file of statements (`;` at a line end) as written, engine differences
        translated by the dialect; return the number of statements run."""
        count = 0
        for statement in split_statements(path.read_text(encoding="utf-8")):
            index = parse_fulltext_index(statement)
            if index is not None:
                self.fulltext_indexes[index.name] = self.dialect.fulltext_index(index)
            for translated in self.dialect.translate_schema(statement):
                self._run_schema_statement(translated, path)
                count += 1
        return count

    def fulltext_index(self, name: str) -> str:
        """The engine's name for a fulltext index declared in cypher/schema."""
        try:
            return self.fulltext_indexes[name]
        except KeyError:
            raise QueryDefinitionError(
                f"no fulltext index {name!r} in cypher/schema (or the schema is not applied yet)"
            ) from None

    def _run_schema_statement(
        self, statement: CypherStatement | EngineStatement, path: Path
    ) -> None:
        try:
            if isinstance(statement, EngineStatement):
                run_engine_statement(self.connection, statement)
            else:
                self._write_driver.execute_query(
                    statement.text,
                    database_=self.connection.database,
                    routing_=neo4j.RoutingControl.WRITE,
                )
        except CrimegraphError:
            raise
        except Exception as exc:
            translated = _translate_error(exc, f"schema {path.name}")
            if translated is exc:
                raise
            raise translated from exc


def split_statements(text: str) -> list[str]:
    """Split a schema file into statements (`;` at a line end), dropping `//` comments."""
    body = _LINE_COMMENT.sub("", text)
    return [part.strip() for part in _STATEMENT_END.split(body) if part.strip()]
