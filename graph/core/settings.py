"""All of crimegraph's configuration, read from CRIMEGRAPH_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.core import resources

# The source checkout, for developer tools and tests only (`crimegraph model render`, the
# benchmarks); run-time files are found through graph.core.resources, never from here.
REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Settings for the API, the CLI and the engine.

    Leave `neo4j_uri` unset to use the embedded ArcadeDB engine, started on demand under
    `data_dir`. Set it (bolt://, neo4j://, bolt+s://, neo4j+s://) to use a Neo4j 5 server.
    """

    model_config = SettingsConfigDict(env_prefix="CRIMEGRAPH_", extra="ignore")

    neo4j_uri: str | None = Field(None, description="Neo4j URI; unset = embedded ArcadeDB")
    neo4j_user: str = Field("neo4j", description="Neo4j user for writes")
    neo4j_password: SecretStr | None = Field(None, description="Neo4j password")
    neo4j_database: str = Field("neo4j", description="Neo4j database name")
    neo4j_read_user: str | None = Field(
        None, description="optional read-only Neo4j user for read paths (Enterprise RBAC)"
    )
    neo4j_read_password: SecretStr | None = None
    neo4j_security_database: str | None = Field(
        None,
        description="Neo4j database for API keys, which the read user must not be able to "
        "open (Enterprise); unset = the main database (Community: see analyst_cypher)",
    )

    data_dir: Path = Field(
        Path.home() / ".local" / "share" / "crimegraph",
        description="where the embedded engine keeps its data, port and credentials",
    )
    engine_heap: str = Field(
        "auto",
        pattern=r"^(auto|[1-9][0-9]*[mMgG])$",
        description="max Java heap of the embedded engine: a size (512m, 4g) or auto, a "
        "quarter of this machine's memory between 1g and 8g (an import is one transaction, "
        "held in the heap: 1M relationships need about 4g)",
    )
    engine_database: str = Field("crimegraph", description="database name on the embedded engine")
    engine_start_timeout: float = Field(90.0, description="seconds to wait for the engine")
    engine_security_database: str | None = Field(
        None,
        description="database of API keys on the embedded engine, which only the service "
        "user opens (default <engine_database>_security)",
    )

    engine_supervise: bool = Field(
        True, description="the API restarts the embedded engine when it dies (kill -9, OOM)"
    )
    engine_watch_seconds: float = Field(
        1.0, gt=0, description="how often the API checks that the embedded engine is alive"
    )
    engine_restart_max_backoff: float = Field(
        60.0, gt=0, description="longest wait between failed restarts of the embedded engine"
    )

    query_timeout: float = Field(15.0, gt=0, description="seconds before a query is cancelled")
    analyst_concurrency: int = Field(
        2,
        ge=1,
        description="analysts' Cypher queries (POST /api/v1/cypher) running at once per API "
        "process; more are answered 503 with Retry-After, so analysts never take the engine "
        "from viewers",
    )
    analyst_max_result_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="largest answer of POST /api/v1/cypher, in bytes of JSON, measured while "
        "the rows stream; past it the query is stopped and answered 422 result_too_large",
    )
    analyst_runaway_restart: bool = Field(
        True,
        description="restart the embedded engine (when this API started it) if an analyst "
        "query it was told to terminate is still running after analyst_runaway_grace: "
        "ArcadeDB cannot stop a query inside one expression (docs/security.md)",
    )
    analyst_runaway_grace: float = Field(
        10.0, gt=0, description="seconds a terminated analyst query may take to stop"
    )
    analyst_runaway_restart_interval: float = Field(
        600.0,
        ge=0,
        description="least seconds between two such restarts; a runaway within it is "
        "audited and left running",
    )
    analyst_cypher: Literal["require-separate-database", "unsafe-shared-database"] = Field(
        "require-separate-database",
        description="require-separate-database: POST /api/v1/cypher answers 503 unless API "
        "keys sit in a database the read user cannot open; unsafe-shared-database: serve it "
        "anyway (Neo4j Community), where only the text guard keeps key records out of reach",
    )
    import_timeout: float = Field(
        1800.0, gt=0, description="seconds an import's one write transaction may take"
    )
    retry_time: float = Field(1.0, ge=0, description="seconds a failed transaction is retried")
    cypher_dir: Path = Field(
        default_factory=resources.cypher_dir, description="schema and named queries"
    )
    seed_dir: Path = Field(
        default_factory=resources.seed_dir, description="seed data and documents"
    )

    host: str = Field("127.0.0.1", description="address the API binds to")
    port: int = Field(8000, description="port the API listens on")

    # Security (docs/security.md).
    auth: Literal["keys", "disabled"] = Field(
        "keys",
        description="keys: every request needs an API key; disabled: UNSAFE, loopback host only",
    )
    key_cache_seconds: float = Field(
        5.0, ge=0, description="seconds an API key lookup is cached (a revocation's delay)"
    )
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1, description="largest request body")
    max_import_bytes: int = Field(
        200 * 1024 * 1024, ge=1, description="largest request body of POST /api/v1/imports"
    )
    # Bounds on what one import file may make crimegraph read (docs/import-format.md).
    import_max_json_depth: int = Field(
        64, ge=2, le=500, description="deepest nesting of JSON an import reads (FtM, snapshot)"
    )
    import_zip_max_members: int = Field(1000, ge=1, description="most files a zip import holds")
    import_zip_max_member_bytes: int = Field(
        512 * 1024 * 1024, ge=1, description="largest unpacked size of one file of a zip import"
    )
    import_zip_max_total_bytes: int = Field(
        1024 * 1024 * 1024, ge=1, description="largest unpacked size of all files read from a zip"
    )
    import_zip_max_ratio: float = Field(
        100.0,
        gt=1,
        description="most times a zip member (over 1 MiB unpacked) may exceed its packed size",
    )
    max_url_bytes: int = Field(
        8 * 1024, ge=256, description="longest request target (path and query string): 414"
    )
    max_header_bytes: int = Field(
        64 * 1024, ge=1024, description="largest total of a request's header names and values: 431"
    )
    http_head_buffer_bytes: int = Field(
        4 * 1024 * 1024,
        ge=64 * 1024,
        description="what `crimegraph serve`'s HTTP parser (h11) buffers of a request line and "
        "headers; past it the parser itself refuses the request (plain-text 400, unaudited). "
        "Keep it above max_url_bytes and max_header_bytes so those are answered in JSON",
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="requests per minute per API key (0 = no limit)"
    )
    rate_limit_burst: int = Field(120, ge=1, description="requests a key may send at once")
    audit_dir: Path | None = Field(
        None, description="where the append-only audit log is written (default data_dir/audit)"
    )
    audit_sync_seconds: float = Field(
        0.1,
        ge=0,
        le=10,
        description="the API fsyncs its audit log at most this often (0 = after every record); "
        "records reach the file at once and survive a crash of crimegraph, a power loss can "
        "lose this much",
    )

    @property
    def audit_path(self) -> Path:
        """The audit log file (one hash chain per file)."""
        return (self.audit_dir or self.data_dir / "audit") / "audit.jsonl"
