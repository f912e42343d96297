"""Latency of each investigator endpoint on the seed graph, measured over HTTP.

    .venv/bin/python benchmarks/latency.py [--requests 200] [--out benchmarks/results/latency.md]

Starts its own embedded engine in a temporary data dir, seeds it, serves the API with
uvicorn on a free loopback port, warms every endpoint up, then sends the requests one after
another (a single client: this measures latency, not throughput) and reports p50 and p99 per
endpoint. Authentication and the audit log are on, as in production (a viewer key, each
request recorded); the rate limit is off, or the benchmark would measure 429s. Never run as
a test: these machines are shared, and numbers move with the load.
"""

from __future__ import annotations

import argparse
import platform
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from api.app import create_app
from graph.access.auth import KeyStore, Role
from graph.core.settings import Settings
from graph.db.engine import EmbeddedEngine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def endpoints(client: httpx.Client) -> dict[str, str]:
    def first(q: str, label: str) -> str:
        items = client.get("/api/v1/entities", params={"q": q, "label": label}).json()["items"]
        return str(items[0]["id"])

    amra = first("amra", "Person")
    network = first("organized crime networks", "CriminalNetwork")
    sante = first("la sante", "Facility")
    oportik = first("oportik", "Company")
    operation = first("prison break", "Operation")
    source = client.get(f"/api/v1/entities/{amra}").json()["provenance"]["source_ids"][0]
    return {
        "search": "/api/v1/entities?q=the%20fly",
        "entity": f"/api/v1/entities/{amra}",
        "neighbors depth 2": f"/api/v1/entities/{amra}/neighbors?depth=2",
        "network facilities": f"/api/v1/networks/{network}/facilities",
        "facility networks": f"/api/v1/facilities/{sante}/networks",
        "paths max_hops 6": f"/api/v1/paths?from={oportik}&to={operation}&max_hops=6",
        "incidents": "/api/v1/incidents",
        "key players": "/api/v1/analytics/key-players",
        "coordinated incidents": "/api/v1/analytics/coordinated-incidents?window_days=7",
        "source": f"/api/v1/sources/{source}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="measured requests per endpoint")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crimegraph-bench-") as data_dir:
        port = free_port()
        settings = Settings(
            data_dir=Path(data_dir), neo4j_uri=None, port=port, rate_limit_per_minute=0
        )
        app = create_app(settings, seed_on_start=True)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    try:
                        if client.get("/ready").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.2)
                keys = KeyStore(app.state.graph.ready_store(), ttl=0)
                _, token = keys.create("latency benchmark", Role.VIEWER, created_by="benchmark")
                client.headers["X-API-Key"] = token
                rows = []
                for name, path in endpoints(client).items():
                    for _ in range(args.warmup):
                        client.get(path).raise_for_status()
                    timings = []
                    for _ in range(args.requests):
                        started = time.perf_counter()
                        client.get(path).raise_for_status()
                        timings.append((time.perf_counter() - started) * 1000)
                    rows.append((name, statistics.median(timings), percentile(timings, 0.99)))
                    print(
                        f"{name:24} p50 {rows[-1][1]:7.1f} ms   p99 {rows[-1][2]:7.1f} ms",
                        flush=True,
                    )
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            EmbeddedEngine.from_settings(settings).stop()

    header = (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()}), embedded ArcadeDB, seed graph, "
        f"{args.requests} sequential requests per endpoint after {args.warmup} warm-up, one client.\n\n"
        "| endpoint | p50 (ms) | p99 (ms) |\n|---|---:|---:|\n"
    )
    table = header + "".join(f"| {n} | {p50:.1f} | {p99:.1f} |\n" for n, p50, p99 in rows)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")
    print()
    print(table)


if __name__ == "__main__":
    main()
