"""The FastAPI application: created by a factory, with the database opened in its lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from api import analyst, documents, explore, imports, investigate, resolution, snapshots
from api.deps import (
    INVALID,
    NOT_FOUND,
    UNAVAILABLE,
    GraphDep,
    GraphState,
    QueriesDep,
    StoreDep,
)
from api.errors import install_error_handlers
from api.examples import add_response_examples
from api.security import (
    PUBLIC_ROUTE,
    SECURITY_RESPONSES,
    VIEWER,
    ViewerDep,
    add_security_to_openapi,
    audit_router,
    install_security,
    named_query_for,
    visible_queries,
)
from api.strict import reject_unknown_query_params
from graph.access import audit
from graph.access.auth import KeyStore, bootstrap_admin_key
from graph.core.errors import DatabaseUnavailable
from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.queries import NamedQuery
from graph.db.service import load_queries
from graph.db.store import Store
from graph.db.supervisor import EngineEvent, EngineSupervisor, EventSink
from graph.model.schema import load_model
from seed.loader import load_seed

log = logging.getLogger("crimegraph.api")


class Health(BaseModel):
    status: Literal["ok"] = Field(description="the process is up")


class EngineSupervision(BaseModel):
    """What the API's supervisor saw of the embedded engine since the API started."""

    restarts: int = Field(description="times the API restarted the engine after it died")
    last_death: str | None = Field(description="when the engine was last found dead (UTC)")
    last_restart: str | None = Field(description="when the API last restarted it (UTC)")
    last_error: str | None = Field(description="what went wrong last, if anything")
    runaway_restarts: int = Field(
        0,
        description="of the restarts, those that ended an analyst query the engine could not "
        "terminate (CRIMEGRAPH_ANALYST_RUNAWAY_RESTART)",
    )
    last_runaway_restart: str | None = Field(
        None, description="when the API last restarted the engine for such a query (UTC)"
    )


class Ready(BaseModel):
    status: Literal["ready"]
    engine: str = Field(description="arcadedb (embedded default) or neo4j")
    database: str
    server: str = Field(description="the agent string the database reports")
    supervision: EngineSupervision | None = Field(
        None, description="the embedded engine's restarts (null on Neo4j)"
    )


class QueryParamInfo(BaseModel):
    name: str
    type: str
    example: object


class QueryInfo(BaseModel):
    name: str = Field(description="the file name under cypher/queries, without .cypher")
    mode: Literal["read", "write"]
    description: str
    params: list[QueryParamInfo]
    audience: Literal["investigator", "plumbing"] = Field(
        "plumbing",
        description="investigator: for the main list; plumbing: used by the server, imports and reviews",
    )


class GraphTotals(BaseModel):
    nodes: int
    relationships: int


def query_info(query: NamedQuery) -> QueryInfo:
    return QueryInfo(
        name=query.name,
        mode=query.mode,
        description=query.description,
        params=[
            QueryParamInfo(name=p.name, type=p.type, example=p.example) for p in query.user_params
        ],
        audience=query.audience,
    )


def _bootstrap_key(store: Store, settings: Settings) -> None:
    """A new user's first admin key (docs/security.md): only when the database holds none."""
    made = bootstrap_admin_key(KeyStore(store, ttl=0), settings.data_dir)
    if made is None:
        return
    info, token, path = made
    # Printed once, on the terminal that started the server; the file keeps it for later.
    print(
        f"\nNo API key existed, so an admin key named {info.name!r} (id {info.id}) was created."
        f"\nIts token, shown only now and saved to {path} (mode 0600):\n\n    {token}\n"
        f'\nSend it as `-H "X-API-Key: $(cat {path})"`; create per-person keys with'
        f"\n`CRIMEGRAPH_DATA_DIR={settings.data_dir} crimegraph keys create --name NAME "
        "--role ROLE`\n(the same data dir as this server), then revoke this one with"
        f"\n`crimegraph keys revoke {info.id}`.\n",
        flush=True,
    )


def _audit_engine_event(app: FastAPI) -> EventSink:
    """Engine deaths and restarts go to the audit log, beside the requests they affected."""

    def record(event: EngineEvent, message: str, facts: dict[str, object]) -> None:
        outcome = "allowed" if event == "engine_restarted" else "error"
        app.state.security.audit_log.append(audit.system_event(event, message, outcome, facts))

    return record


def create_app(
    settings: Settings | None = None, *, seed_on_start: bool = False, bootstrap_key: bool = False
) -> FastAPI:
    """The API. `seed_on_start` loads the seed graph; `bootstrap_key` (`crimegraph serve`)
    creates a first admin key when the database has none. Raises UnsafeConfiguration when
    authentication is disabled on an address others can reach."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        model = load_model()
        queries = load_queries(settings)  # a broken .cypher file stops start-up here
        engine = EngineHandle(settings)
        store = Store(
            engine.connection,
            queries,
            settings.query_timeout,
            settings.retry_time,
            analyst_concurrency=settings.analyst_concurrency,
            analyst_result_bytes=settings.analyst_max_result_bytes,
            analyst_runaway_grace=settings.analyst_runaway_grace,
        )
        app.state.queries = queries
        app.state.model = model
        app.state.graph = GraphState(settings, store)
        supervisor = (
            EngineSupervisor.for_handle(
                engine,
                _audit_engine_event(app),
                settings.engine_watch_seconds,
                settings.engine_restart_max_backoff,
                on_moved=store.reconnect,
                runaway_restart=settings.analyst_runaway_restart,
                runaway_interval=settings.analyst_runaway_restart_interval,
            )
            if settings.engine_supervise
            else None
        )
        app.state.supervisor = supervisor
        if supervisor is not None:
            store.on_runaway = supervisor.restart_for_runaway
            supervisor.start()
        try:
            try:
                app.state.graph.ready_store()
            except DatabaseUnavailable as exc:
                log.warning("database not ready at start-up (%s); /ready will retry", exc.message)
            if seed_on_start:
                rows = load_seed(
                    app.state.graph.ready_store(),
                    model,
                    settings.seed_dir / "data",
                    settings.seed_dir / "documents",
                )
                log.info(
                    "seeded %d nodes, %d relationships", len(rows.nodes), len(rows.relationships)
                )
            if bootstrap_key and settings.auth == "keys":
                try:
                    _bootstrap_key(app.state.graph.ready_store(), settings)
                except DatabaseUnavailable as exc:
                    log.warning(
                        "no first API key made (%s): create one with `crimegraph keys create`",
                        exc.message,
                    )
            # What start-up built lives as long as the process: out of the collector's sight,
            # a full collection no longer walks it (one took 117 ms in the middle of a
            # request, the p99 of the link endpoints at M, benchmarks/README.md).
            gc.collect()
            gc.freeze()
            yield
        finally:
            gc.unfreeze()  # an app stopped inside a longer process (tests) can be collected
            if supervisor is not None:
                supervisor.stop()  # before the engine stops: that stop is no death
            app.state.security.audit_log.close()  # syncs the last records
            store.close()
            engine.close()

    # FastAPIOffline serves the /docs and /redoc assets itself: no CDN, works air-gapped.
    app = FastAPIOffline(
        title="crimegraph",
        version="0.1.0",
        summary="A knowledge graph of organized-crime networks where every link cites its source.",
        description=(
            "Investigators ask how people, criminal networks, suppliers, prisons, attacks and "
            "operations connect; every answer carries the source documents and quotes that prove "
            'it. Errors share one JSON shape: `{"error": {status, code, message, details}}`.'
            "\n\nEvery route but `/health` and `/ready` needs an API key, sent as "
            "`X-API-Key: cg_...` or `Authorization: Bearer cg_...`; each operation's "
            "`x-required-role` names the role it needs (viewer, investigator, analyst, admin). "
            "Every request is recorded in the audit log (docs/security.md)."
        ),
        lifespan=lifespan,
        responses=SECURITY_RESPONSES,
        # Every route: a query parameter it does not declare is a 422 listing those it does.
        dependencies=[Depends(reject_unknown_query_params)],
    )
    install_error_handlers(app)
    install_security(app, settings)  # refuses an unsafe auth setting here, before serving
    app.include_router(investigate.router)
    app.include_router(analyst.router)
    app.include_router(snapshots.router)
    app.include_router(resolution.router)
    app.include_router(documents.router)
    app.include_router(imports.router)
    app.include_router(explore.router)
    app.include_router(audit_router)

    @app.get(
        "/health",
        response_model=Health,
        tags=["operations"],
        dependencies=PUBLIC_ROUTE,
        summary="Is the process up?",
    )
    def health() -> Health:
        """Answers 200 while the process runs, whatever the database's state."""
        return Health(status="ok")

    @app.get(
        "/ready",
        response_model=Ready,
        tags=["operations"],
        responses=UNAVAILABLE,
        dependencies=PUBLIC_ROUTE,
        summary="Is the database reachable with the schema applied?",
    )
    def ready(graph: GraphDep, request: Request) -> Ready:
        """200 when the database answers and the schema is applied; 503 with the reason
        otherwise (retries the schema, so the service recovers when the database returns).
        On the embedded engine, also what its supervisor did: the API restarts the engine
        when it dies, and says so here while it is not back."""
        supervisor: EngineSupervisor | None = request.app.state.supervisor
        watched = supervisor.status() if supervisor is not None else None
        if watched is not None and watched.state != "running":
            raise DatabaseUnavailable(watched.describe())
        store = graph.ready_store()
        agent = store.ping()
        return Ready(
            status="ready",
            engine=store.engine,
            database=store.connection.database,
            server=agent,
            supervision=(
                EngineSupervision(
                    restarts=watched.restarts,
                    last_death=watched.last_death,
                    last_restart=watched.last_restart,
                    last_error=watched.last_error,
                    runaway_restarts=watched.runaway_restarts,
                    last_runaway_restart=watched.last_runaway_restart,
                )
                if watched is not None
                else None
            ),
        )

    @app.get(
        "/api/v1/queries",
        response_model=list[QueryInfo],
        tags=["named queries"],
        responses=INVALID,
        summary="The named read queries (cypher/queries/read) this key may run",
    )
    def list_queries(
        queries: QueriesDep,
        principal: ViewerDep,
        mode: Annotated[
            Literal["read", "write"] | None,
            Query(description="only read or only write queries (write ones are never listed)"),
        ] = None,
        audience: Annotated[
            Literal["investigator", "plumbing", "all"],
            Query(description="the investigators' queries (default), the plumbing ones, or all"),
        ] = "investigator",
    ) -> list[QueryInfo]:
        """Each named read query this key may run, with its typed parameters (with an
        example value), as declared in the header of its `.cypher` file. Write queries are
        the server's own and the API key queries are never listed; queries over datasets,
        decisions or review candidates only for the roles that read those. Only the
        investigators' queries unless `audience` asks for the plumbing ones too."""
        return [
            query_info(q)
            for q in visible_queries(queries, principal)
            if (mode is None or q.mode == mode) and audience in ("all", q.audience)
        ]

    @app.get(
        "/api/v1/queries/{name}",
        response_model=QueryInfo,
        tags=["named queries"],
        responses={**NOT_FOUND, **INVALID},
        summary="One named query's header",
    )
    def get_query(
        name: Annotated[str, Path(description="query name, e.g. entity_links")],
        queries: QueriesDep,
        principal: ViewerDep,
    ) -> QueryInfo:
        """The header of one read query's `.cypher` file: description, typed parameters
        with examples (a write query is a 422, as on the routes that run them).
        `crimegraph query show NAME --browser` prints the same query ready for the Browser."""
        return query_info(named_query_for(queries, name, principal))

    @app.get(
        "/api/v1/stats",
        response_model=GraphTotals,
        tags=["graph"],
        responses=UNAVAILABLE,
        dependencies=VIEWER,
        summary="How many nodes and relationships the graph holds",
    )
    def stats(store: StoreDep) -> GraphTotals:
        """Counts every node and relationship (named query `graph_totals`)."""
        return GraphTotals.model_validate(store.run("graph_totals")[0])

    add_security_to_openapi(app)
    add_response_examples(app)  # last: it fills in the document the others built
    return app
