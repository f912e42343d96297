"""Runaway analyst queries against a viewer: what the viewer feels, and whether the engine
stops working on queries the API has abandoned (issue 13, item 3).

    .venv/bin/python -m benchmarks.runaway --size S --out benchmarks/results/runaway-S.json \
        --modes mechanisms,stopped,stopped,stopped,baseline

One command: generates the dataset (`crimegraph generate`, cached like benchmarks.run),
imports it into a fresh embedded engine, serves the API (uvicorn, one process, loopback),
then for each mode:

1. unloaded: a viewer's sequential `GET /entities/{member}/neighbors?depth=2`;
2. loaded: the same viewer while 6 analysts each send a runaway query at once
   (`MATCH p=(a:Person)-[*1..6]-(b) RETURN count(p)`, which the text guard accepts), until
   every analyst has its answer;
3. the engine's CPU (utime+stime of its process, /proc) sampled every 0.5 s from the moment
   the analysts sent their queries, until, once they have their answers, it has stayed
   near its idle rate for 1.5 s (or 60 s have passed): `engine_back_to_idle_s` is when
   that quiet began.

Modes (`--modes`, default all three, in this order): `mechanisms` tries, straight over Bolt
as the read user, each way of stopping a runaway query in the engine (nothing: the reader
group's readTimeout; closing the driver; `terminate query`; the database's
`arcadedb.command.timeout`) and reads the engine's CPU after each. `stopped` is crimegraph
as shipped (analysts' slots, the engine terminates what the API abandons); `baseline` is the behaviour before issue 13 (6 analyst threads, nothing
terminated), patched into the server process only. `baseline` runs last: the queries it
leaves running are ended by stopping the engine.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import neo4j

from benchmarks.run import free_port, percentile, serving
from graph.access.auth import KeyStore, Role
from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.service import load_queries
from graph.db.store import Store
from graph.growth.imports import ImportSource, run_import
from graph.model.schema import load_model
from graph.synth.generate import generate

RUNAWAY = "MATCH p=(a:Person)-[*1..6]-(b) RETURN count(p)"
ANALYSTS = 6
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the server, in a process of its own -----------------------------------------------------


def serve(data_dir: Path, port: int, timeout: float, concurrency: int, baseline: bool) -> None:
    import uvicorn

    from api.app import create_app

    if baseline:
        import graph.db.store

        # Before issue 13: a pool of analyst threads, nothing stopped in the engine.
        graph.db.store.terminate_queries = lambda connection, marker: []  # type: ignore[assignment]
        concurrency = ANALYSTS
    settings = Settings(
        data_dir=data_dir,
        neo4j_uri=None,
        port=port,
        rate_limit_per_minute=0,
        query_timeout=timeout,
        analyst_concurrency=concurrency,
    )
    uvicorn.run(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


@contextlib.contextmanager
def api_server(data_dir: Path, timeout: float, concurrency: int, baseline: bool) -> Iterator[str]:
    port = free_port()
    command = [PYTHON, "-m", "benchmarks.runaway", "--serve", str(data_dir), "--port", str(port)]
    command += ["--timeout", str(timeout), "--analyst-concurrency", str(concurrency)]
    with serving([*command, *(["--baseline"] if baseline else [])], port, ready_below=300):
        yield f"http://127.0.0.1:{port}"


# --- measuring -------------------------------------------------------------------------------


def viewer_requests(client: httpx.Client, path: str, until: threading.Event) -> list[float]:
    """Sequential requests until `until` is set; seconds each (a 503 counts as itself, and
    is counted apart)."""
    times: list[float] = []
    while not until.is_set():
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        times.append(elapsed if response.status_code == 200 else -elapsed)
    return times


def idle_rate(pid: int, seconds: float = 5.0) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def summary(times: list[float]) -> dict[str, Any]:
    """Latency of the viewer's requests; a failed one (503) counts at the time it took."""
    durations = [abs(t) for t in times]
    return {
        "requests": len(times),
        "failed": sum(1 for t in times if t < 0),
        "median_ms": round(statistics.median(durations) * 1000, 1) if times else None,
        "p99_ms": round(percentile(durations, 0.99) * 1000, 1) if times else None,
        "max_ms": round(max(durations) * 1000, 1) if times else None,
    }


class CpuSampler(threading.Thread):
    """The engine's CPU (cores busy) every half second from `start` on, until it has been
    at its idle rate for 1.5 s in a row (or `limit` s have passed)."""

    def __init__(self, pid: int, idle: float, limit: float = 60.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit = pid, limit
        self.threshold = max(0.05, 3 * idle)
        self.samples: list[tuple[float, float]] = []
        self.back_to_idle: float | None = None
        self.may_stop = threading.Event()  # set once the analysts have their answers

    def run(self) -> None:
        started = last_t = time.monotonic()
        last_cpu = cpu_seconds(self.pid)
        quiet = 0
        while time.monotonic() - started < self.limit:
            time.sleep(0.5)
            now_t, now_cpu = time.monotonic(), cpu_seconds(self.pid)
            rate = (now_cpu - last_cpu) / (now_t - last_t)
            self.samples.append((round(now_t - started, 1), round(rate, 2)))
            last_t, last_cpu = now_t, now_cpu
            quiet = quiet + 1 if rate <= self.threshold else 0
            if quiet == 1:
                candidate = now_t - started - 0.5
            if quiet >= 3 and self.may_stop.is_set():
                self.back_to_idle = round(candidate, 1)
                return


def one_mode(
    base: str,
    pid: int,
    viewer: str,
    analyst: str,
    member: str,
    unloaded_requests: int,
    idle: float,
    timeout: float,
) -> dict[str, Any]:
    path = f"/api/v1/entities/{member}/neighbors?depth=2"
    with httpx.Client(base_url=base, headers={"X-API-Key": viewer}, timeout=120) as client:
        for _ in range(20):
            client.get(path)  # warm-up
        unloaded = []
        for _ in range(unloaded_requests):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            unloaded.append(time.perf_counter() - started)

        answers: list[tuple[int, str, float]] = []
        done = threading.Event()

        def analyst_query() -> None:
            started = time.perf_counter()
            with httpx.Client(base_url=base, headers={"X-API-Key": analyst}, timeout=300) as a:
                response = a.post("/api/v1/cypher", json={"query": RUNAWAY})
            code = response.json().get("error", {}).get("code", "ok")
            answers.append((response.status_code, code, time.perf_counter() - started))

        sampler = CpuSampler(pid, idle)
        sampler.start()
        sent = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(ANALYSTS + 1) as pool:
            viewer_future = pool.submit(viewer_requests, client, path, done)
            analysts = [pool.submit(analyst_query) for _ in range(ANALYSTS)]
            concurrent.futures.wait(analysts)
            answered = time.monotonic() - sent
            sampler.may_stop.set()
            done.set()  # the viewer's measurement is while the analysts' queries are in flight
            loaded = viewer_future.result()
        sampler.join()
    un, lo = summary(unloaded), summary(loaded)
    return {
        "unloaded": un,
        "loaded": lo,
        "p99_ratio": round(lo["p99_ms"] / un["p99_ms"], 2) if lo["p99_ms"] else None,
        "analyst_answers": sorted(
            [{"status": s, "code": c, "s": round(t, 1)} for s, c, t in answers],
            key=lambda a: a["s"],
        ),
        "analysts_answered_s": round(answered, 1),
        "engine_idle_rate": round(idle, 3),
        "engine_back_to_idle_s": sampler.back_to_idle,
        "target_idle_s": timeout + 5,
        "engine_cpu_cores": sampler.samples,
    }


def mechanisms(store: Store, pid: int, idle: float, timeout: float) -> dict[str, Any]:
    """What stops a runaway query in the engine: the query is run straight over Bolt as the
    read user, one way of stopping it is tried, then the engine's CPU is averaged over the
    next 8 s and its list of running queries read. `nothing` waits past the reader group's
    readTimeout (the API's query timeout, set at engine start)."""
    from graph.db.dialect import EngineStatement, _engine_server_command, run_engine_statement

    connection = store.connection
    out: dict[str, Any] = {}

    def still_running() -> int:
        listed = _engine_server_command(connection, "list queries")["result"]
        return sum(1 for q in listed if RUNAWAY in str(q.get("text", "")))  # type: ignore[union-attr]

    for way in ["nothing", "close the driver", "terminate query", "database command.timeout"]:
        if way == "database command.timeout":
            run_engine_statement(
                connection, EngineStatement("ALTER DATABASE `arcadedb.command.timeout` 3000")
            )
        driver = neo4j.GraphDatabase.driver(connection.uri, auth=connection.read_auth)
        outcome: list[str] = []

        def run(driver: neo4j.Driver = driver, outcome: list[str] = outcome) -> None:
            try:  # a session's run is sent once (execute_query would retry it)
                with driver.session(database=connection.database) as session:
                    session.run(RUNAWAY).consume()
                outcome.append("finished")
            except Exception as exc:
                outcome.append(getattr(exc, "code", None) or type(exc).__name__)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        time.sleep(timeout + 2 if way == "nothing" else 4)
        if way == "close the driver":
            driver.close()
        elif way == "terminate query":
            from graph.db.dialect import terminate_queries

            terminate_queries(connection, RUNAWAY)
        time.sleep(1)
        before = cpu_seconds(pid)
        time.sleep(8)
        cpu = (cpu_seconds(pid) - before) / 8
        out[way] = {
            "engine_cpu_cores_next_8s": round(cpu, 2),
            "stopped": cpu <= max(0.05, 3 * idle),
            "still_listed": still_running(),
            "client_saw": outcome[0] if outcome else "still waiting",
        }
        log(f"{way}: {out[way]}")
        # Clean up whatever is left, so the next way starts from an idle engine.
        if way == "database command.timeout":
            run_engine_statement(
                connection, EngineStatement("ALTER DATABASE `arcadedb.command.timeout` 0")
            )
        from graph.db.dialect import terminate_queries

        terminate_queries(connection, RUNAWAY)
        with contextlib.suppress(Exception):
            driver.close()
        time.sleep(2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="S", choices=["XS", "S", "M"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "crimegraph-bench")
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--timeout", type=float, default=15.0, help="the API's query timeout")
    parser.add_argument("--analyst-concurrency", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200, help="unloaded viewer requests")
    parser.add_argument(
        "--modes",
        default="mechanisms,stopped,baseline",
        help="comma-separated, run in this order",
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.port, args.timeout, args.analyst_concurrency, args.baseline)
        return

    data = args.cache / f"{args.size}-{args.seed}"
    if not (data / "manifest.json").exists():
        log(f"generating {args.size} (seed {args.seed}) into {data}")
        shutil.rmtree(data, ignore_errors=True)
        generate(args.size, args.seed, data, progress=lambda m: log(f"generate: {m}"))
    manifest = json.loads((data / "manifest.json").read_text())
    member = manifest["probes"]["members"][0]
    data_dir = Path(tempfile.mkdtemp(prefix="crimegraph-runaway-"))
    settings = Settings(data_dir=data_dir, neo4j_uri=None, engine_heap=args.heap)
    result: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks.runaway", *sys.argv[1:]]),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "size": args.size,
        "nodes": manifest["nodes"],
        "relationships": manifest["relationships"],
        "timeout_s": args.timeout,
        "analyst_concurrency": args.analyst_concurrency,
        "analysts": ANALYSTS,
        "runaway_query": RUNAWAY,
        "load_before": os.getloadavg(),
        "runs": [],
    }
    try:
        with EngineHandle(settings) as engine:
            pid = json.loads((data_dir / "engine.json").read_text())["pid"]
            with Store(engine.connection, load_queries(settings), 3600) as store:
                store.apply_schema(settings.cypher_dir / "schema")
                log(f"importing {data}")
                run_import(store, load_model(), ImportSource.from_path(data), timeout=3600)
                keys = KeyStore(store, ttl=0)
                _, viewer = keys.create("bench viewer", Role.VIEWER, created_by="benchmark")
                _, analyst = keys.create("bench analyst", Role.ANALYST, created_by="benchmark")
            time.sleep(5)  # let the engine settle after the import
            idle = idle_rate(pid)
            log(f"engine idle rate {idle:.3f} cores")
            for mode in args.modes.split(","):
                log(f"mode {mode}")
                if mode == "mechanisms":
                    with Store(engine.connection, load_queries(settings), 60) as store:
                        result["mechanisms"] = mechanisms(store, pid, idle, args.timeout)
                    continue
                with api_server(
                    data_dir, args.timeout, args.analyst_concurrency, mode == "baseline"
                ) as base:
                    figures = one_mode(
                        base, pid, viewer, analyst, member, args.requests, idle, args.timeout
                    )
                result["runs"].append({"mode": mode, **figures})
                log(json.dumps({k: v for k, v in figures.items() if k != "engine_cpu_cores"}))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    result["load_after"] = os.getloadavg()
    # Rounds of a mode (`--modes stopped,stopped,stopped`) against a noisy machine: medians.
    for mode in {run["mode"] for run in result["runs"]} - {"mechanisms"}:
        runs = [run for run in result["runs"] if run["mode"] == mode]
        idle = [run["engine_back_to_idle_s"] for run in runs]
        result[f"{mode}_median"] = {
            "rounds": len(runs),
            "p99_ratio": statistics.median(run["p99_ratio"] for run in runs),
            "engine_back_to_idle_s": None if None in idle else statistics.median(idle),
        }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
