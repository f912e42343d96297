"""Performance at scale: every figure of benchmarks/README.md from one command.

    make install                                  # the venv, on a fresh clone
    .venv/bin/pip install -e '.[bench]'           # scipy and psutil: benchmarks only
    .venv/bin/python -m benchmarks.run --size S --size M --readme

For each size: generate the dataset (`crimegraph generate`, cached under --cache), then

1. ingest: in a fresh embedded engine per run, `crimegraph import`'s path (`ours`) and the
   same rows through the driver directly (`raw`), alternating, each in a process of its
   own (benchmarks/ingest.py);
2. link questions (2-hop neighbourhood, network to facilities, shortest paths reachable and
   unreachable, timeline, key players) three ways, interleaved in the same loop: through
   crimegraph's functions, through the driver running the same Cypher, and over HTTP
   (benchmarks/paths.py); medians and p99 after warm-up, ratios of medians;
3. HTTP throughput of a link endpoint against a bare Starlette endpoint returning the same
   JSON, both served the same way, rounds alternating (benchmarks/serve.py);
4. the traversal ceiling: links/s of our 2-hop and BFS-style traversals against
   `scipy.sparse.csgraph.breadth_first_order` on the same graph;
5. peak memory (VmHWM) of the engine, the API process and the importing process.

Results go to --out (default benchmarks/results/, which is tracked: scale-<size>.json and
scale.md); with --readme, the tables also replace the marked section of benchmarks/README.md. Never run as a
test: these machines are shared and noisy, which is why every comparison is side by side.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import importlib.metadata
import itertools
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.paths import Raw, questions
from graph.access.auth import KeyStore, Role
from graph.core.errors import NotFound
from graph.core.settings import REPO_ROOT, Settings
from graph.db.engine import EngineHandle, resolve_heap
from graph.db.service import load_queries
from graph.db.store import Store
from graph.investigate.links import LinkFilter, neighbourhood, shortest_paths
from graph.model.schema import load_model
from graph.synth.generate import SIZES, generate

RESULTS = REPO_ROOT / "benchmarks" / "results"
README = REPO_ROOT / "benchmarks" / "README.md"
START, END = "<!-- scale-results:start -->", "<!-- scale-results:end -->"
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p99 of 30 samples is the largest but none)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p99": percentile(values, 0.99),
        "n": len(values),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory of a live process (Linux /proc), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def machine() -> dict[str, Any]:
    import psutil

    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "host": platform.node(),
        "cpu": model or platform.processor(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "python": platform.python_version(),
        "arcadedb_embedded": importlib.metadata.version("arcadedb-embedded"),
        "neo4j_driver": importlib.metadata.version("neo4j"),
    }


# --- engines and servers ----------------------------------------------------------------------


@contextlib.contextmanager
def fresh_engine(heap: str, keep: list[Any] | None = None) -> Iterator[tuple[Settings, Path, int]]:
    """A new embedded engine in a temporary data dir; (settings, dir, engine pid)."""
    data_dir = Path(tempfile.mkdtemp(prefix="crimegraph-scale-"))
    settings = Settings(data_dir=data_dir, neo4j_uri=None, engine_heap=heap, query_timeout=300)
    handle = EngineHandle(settings)
    pid = json.loads((data_dir / "engine.json").read_text())["pid"]
    try:
        yield settings, data_dir, pid
    finally:
        if keep is None:
            handle.close()
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            keep.append((handle, data_dir))


@contextlib.contextmanager
def serving(
    command: list[str], port: int, ready_below: int = 500
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process started from `command`, once its /ready answers below `ready_below`
    (500: reachable, even if not ready yet; 300: ready); stopped on leaving."""
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx.TransportError):
                status = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code
                if status < ready_below:
                    break
            time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        if process.poll() is None:
            process.kill()


def server(
    args: list[str], port: int
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    return serving([PYTHON, "-m", "benchmarks.serve", *args, "--port", str(port)], port)


# --- 1. ingest -------------------------------------------------------------------------------


def _ingest_once(kind: str, data: Path, heap: str, data_dir: Path) -> dict[str, Any]:
    command = [PYTHON, "-m", "benchmarks.ingest", kind, str(data), "--data-dir", str(data_dir)]
    done = subprocess.run(
        [*command, "--heap", heap],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        # Recorded, not raised: an import that cannot complete (the engine's heap) is a result.
        lines = [x for x in done.stderr.splitlines() if x.strip()]
        cause = next(
            (x for x in reversed(lines) if "Error" in x or "Exception" in x),
            lines[-1] if lines else "",
        )
        progress = next((x for x in reversed(lines) if x.startswith("ingest ")), "")
        log(f"ingest {kind} FAILED: {cause[:300]}")
        return {"failed": cause[:500], "last_progress": progress}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    rows = figures["nodes"] + figures["relationships"]
    log(f"ingest {kind}: {figures['total_s']:.1f} s, {rows / figures['total_s']:,.0f} rows/s")
    return figures


def ingest(
    data: Path, heap: str, runs: int, keep: list[Any], kinds: list[str]
) -> tuple[dict[str, list[dict[str, Any]]], tuple[Settings, int] | None]:
    """`runs` rounds of the kinds (ours, raw, bulk), rotating which goes first; the engine of
    the last `ours` run is kept (with the dataset in it) for the query benchmarks, unless
    that import failed. Failures are recorded in the results, not raised."""
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    kept: tuple[Settings, int] | None = None
    for round_ in range(runs):
        order = kinds[round_ % len(kinds) :] + kinds[: round_ % len(kinds)]
        if round_ == runs - 1:  # the last run of all is ours: its engine is kept
            order = [k for k in order if k != "ours"] + [k for k in order if k == "ours"]
        for kind in order:
            log(f"ingest {kind} (round {round_ + 1}/{runs}, heap {heap})")
            if kind == "bulk":  # an embedded database of its own, no server
                workdir = Path(tempfile.mkdtemp(prefix="crimegraph-bulk-"))
                try:
                    figures = _ingest_once(kind, data, heap, workdir)
                finally:
                    shutil.rmtree(workdir, ignore_errors=True)
                results[kind].append({**figures, "heap": heap})
                continue
            last = round_ == runs - 1 and kind == "ours"
            with fresh_engine(heap, keep if last else None) as (settings, data_dir, pid):
                figures = _ingest_once(kind, data, heap, data_dir)
                figures["engine_peak_rss_mb"] = vm_hwm_mb(pid)
                figures["heap"] = heap
                if "failed" in figures:
                    figures["engine_log"] = _engine_error(data_dir)
                results[kind].append(figures)
                if last and "failed" not in figures:
                    kept = (settings, pid)
        if keep and kept is None and round_ == runs - 1 and "ours" in kinds:
            handle, data_dir = keep.pop()  # the failed import's engine: nothing to query
            handle.close()
            shutil.rmtree(data_dir, ignore_errors=True)
    return results, kept


def _engine_error(data_dir: Path) -> str:
    """The engine's own reason, e.g. java.lang.OutOfMemoryError: Java heap space."""
    try:
        lines = (data_dir / "engine.log").read_text(errors="replace").splitlines()
    except OSError:
        return ""
    causes = [x.strip() for x in lines if "Error:" in x or "Caused by" in x]
    return causes[-1][:300] if causes else ""


def ingest_summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, all_items in runs.items():
        items = [i for i in all_items if "failed" not in i]
        if not items:
            continue
        out[kind] = {
            "heap": items[0]["heap"],
            "nodes_per_s": statistics.median(i["nodes"] / i["nodes_s"] for i in items),
            "relationships_per_s": statistics.median(
                i["relationships"] / i["relationships_s"] for i in items
            ),
            "rows_per_s": statistics.median(
                (i["nodes"] + i["relationships"]) / i["total_s"] for i in items
            ),
            "relationships_per_s_total": statistics.median(
                i["relationships"] / i["total_s"] for i in items
            ),
            "total_s": statistics.median(i["total_s"] for i in items),
            "worst_total_s": max(i["total_s"] for i in items),
            "runs": len(items),
            "importer_peak_rss_mb": max(i["peak_rss_mb"] for i in items),
            "engine_peak_rss_mb": max(i.get("engine_peak_rss_mb") or 0 for i in items),
        }
    if "ours" not in out or "raw" not in out:
        return out
    ours, raw = out["ours"], out["raw"]
    if "bulk" in out:
        out["ours_over_bulk"] = ours["total_s"] / out["bulk"]["total_s"]
    out["overhead"] = {
        "total": ours["total_s"] / raw["total_s"],
        "nodes": raw["nodes_per_s"] / ours["nodes_per_s"],
        "relationships": raw["relationships_per_s"] / ours["relationships_per_s"],
    }
    return out


# --- 2. link questions -----------------------------------------------------------------------


def reachable_pair(store: Store, flt: LinkFilter, members: list[str]) -> tuple[str, str, int]:
    """Two members of different networks joined within 6 hops, preferring longer paths."""
    best: tuple[str, str, int] | None = None
    for a, b in itertools.pairwise(members):
        if a == b:
            continue
        try:
            found = shortest_paths(store, a, b, 6, flt)
        except NotFound:
            continue
        if best is None or found[0].length > best[2]:
            best = (a, b, found[0].length)
        if best[2] >= 3:
            break
    if best is None:
        raise RuntimeError("no two probe members are joined within 6 hops")
    return best


def link_questions(
    store: Store,
    client: httpx.Client,
    flt: LinkFilter,
    probes: dict[str, Any],
    repeat: int,
    warmup: int,
    budget: float,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    raw = Raw(store)
    a, b, length = reachable_pair(store, flt, probes["members"])
    log(f"reachable pair: {a} -> {b}, {length} hops")
    asked = questions(store, raw, client, flt, probes, (a, b))
    samples: dict[str, dict[str, list[float]]] = {}
    plan: dict[str, int] = {}
    for q in asked:
        paths = {"project": q.project, "raw": q.raw, "http": q.http}
        spent = []
        for _ in range(warmup):
            for fn in paths.values():
                started = time.perf_counter()
                fn()
                spent.append(time.perf_counter() - started)
        # Slow questions (key players at scale) get fewer rounds, never fewer than 5.
        per_round = 3 * statistics.median(spent)
        plan[q.name] = max(5, min(repeat, int(budget / max(per_round, 1e-6))))
        samples[q.name] = {name: [] for name in paths}
        log(f"warm-up {q.name}: {per_round * 1000 / 3:.1f} ms a path; {plan[q.name]} rounds")
    log(f"measuring {len(asked)} questions, three paths each, interleaved")
    for round_ in range(repeat):
        if round_ and round_ % 10 == 0:
            log(f"measured round {round_}/{max(plan.values())}")
        for q in asked:
            if round_ >= plan[q.name]:
                continue
            order = [("project", q.project), ("raw", q.raw), ("http", q.http)]
            shift = round_ % 3
            for name, fn in order[shift:] + order[:shift]:  # rotate who goes first
                started = time.perf_counter()
                fn()
                samples[q.name][name].append((time.perf_counter() - started) * 1000)
    raw.close()
    rows = []
    for q in asked:
        s = {name: summary(values) for name, values in samples[q.name].items()}
        rows.append(
            {
                "question": q.name,
                "kind": q.kind,
                **{f"{name}_ms": s[name] for name in s},
                "project_over_raw": s["project"]["median"] / s["raw"]["median"],
                "http_over_raw": s["http"]["median"] / s["raw"]["median"],
            }
        )
    return rows, {"reachable": [a, b], "reachable_length": length}


# --- 3. HTTP throughput ----------------------------------------------------------------------


def _load(url: str, headers: dict[str, str], seconds: float) -> tuple[int, int]:
    ok = failed = 0
    with httpx.Client(headers=headers, timeout=60) as client:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if client.get(url).status_code == 200:
                ok += 1
            else:
                failed += 1
    return ok, failed


def throughput(
    pool: concurrent.futures.ProcessPoolExecutor,
    url: str,
    headers: dict[str, str],
    seconds: float,
    clients: int,
) -> float:
    started = time.perf_counter()
    futures = [pool.submit(_load, url, headers, seconds) for _ in range(clients)]
    done = [f.result() for f in futures]
    elapsed = time.perf_counter() - started
    if any(failed for _, failed in done):
        raise RuntimeError(f"{url}: {sum(f for _, f in done)} failed requests")
    return sum(ok for ok, _ in done) / elapsed


def http_throughput(
    api_port: int,
    token: str,
    endpoints: dict[str, str],
    seconds: float,
    clients: int,
    rounds: int,
) -> list[dict[str, Any]]:
    headers = {"X-API-Key": token}
    results = []
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")  # not fork: this process holds driver threads
    with concurrent.futures.ProcessPoolExecutor(max_workers=clients, mp_context=spawn) as pool:
        for name, path in endpoints.items():
            body = httpx.get(f"http://127.0.0.1:{api_port}{path}", headers=headers, timeout=120)
            body.raise_for_status()
            with tempfile.NamedTemporaryFile(suffix=".json") as handle:
                handle.write(body.content)
                handle.flush()
                bare_port = free_port()
                with server(["bare", "--body", handle.name], bare_port):
                    api_url = f"http://127.0.0.1:{api_port}{path}"
                    bare_url = f"http://127.0.0.1:{bare_port}{path}"
                    throughput(pool, api_url, headers, 1.0, clients)  # warm-up
                    throughput(pool, bare_url, headers, 1.0, clients)
                    api_rps: list[float] = []
                    bare_rps: list[float] = []
                    for round_ in range(rounds):
                        pair = [(api_url, api_rps), (bare_url, bare_rps)]
                        for url, into in pair if round_ % 2 == 0 else pair[::-1]:
                            into.append(throughput(pool, url, headers, seconds, clients))
                    api_med, bare_med = statistics.median(api_rps), statistics.median(bare_rps)
                    log(f"http {name}: {api_med:.0f} req/s against bare {bare_med:.0f} req/s")
                    results.append(
                        {
                            "endpoint": name,
                            "path": path,
                            "bytes": len(body.content),
                            "api_rps": api_med,
                            "bare_rps": bare_med,
                            "ratio": api_med / bare_med,
                            "rounds": rounds,
                            "clients": clients,
                            "seconds": seconds,
                        }
                    )
    return results


# --- 4. the traversal ceiling ----------------------------------------------------------------


class CountingStore:
    """A Store that counts the links expand_frontier returns (one per node-edge step)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.links = 0

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        rows = self._store.run(name, params)
        if name == "expand_frontier":
            self.links += len(rows)
        return rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def ceiling(
    store: Store, data: Path, flt: LinkFilter, probes: dict[str, Any], repeat: int
) -> dict[str, Any]:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order

    index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for path in sorted(data.glob("*.csv")):
        if path.stem not in flt.types:
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                rows.append(index.setdefault(row["from"], len(index)))
                cols.append(index.setdefault(row["to"], len(index)))
    n = len(index)
    ones = np.ones(len(rows) * 2, dtype=np.int8)
    matrix = coo_matrix(
        (ones, (np.array(rows + cols), np.array(cols + rows))), shape=(n, n)
    ).tocsr()
    degree = np.diff(matrix.indptr)
    start = index[probes["members"][0]]
    timings, scanned = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        order = breadth_first_order(matrix, start, directed=True, return_predecessors=False)
        timings.append(time.perf_counter() - began)
        scanned = int(degree[order].sum())
    scipy_rate = scanned / statistics.median(timings)

    def ours(run: Callable[[CountingStore], object]) -> dict[str, float]:
        rates, links = [], 0
        for _ in range(max(3, repeat // 2)):
            counting = CountingStore(store)
            began = time.perf_counter()
            with contextlib.suppress(NotFound):
                run(counting)
            elapsed = time.perf_counter() - began
            rates.append(counting.links / elapsed)
            links = counting.links
        rate = statistics.median(rates)
        return {"links": links, "links_per_s": rate, "fraction_of_scipy": rate / scipy_rate}

    member, isolated = probes["members"][0], probes["isolated_member"]
    return {
        "graph": {"nodes": n, "links": len(rows)},
        "scipy": {"links_scanned": scanned, "links_per_s": scipy_rate, "visited": len(order)},
        "two_hop": ours(lambda s: neighbourhood(s, member, 2, flt, 2000)),  # type: ignore[arg-type]
        "bfs_6_hops": ours(lambda s: shortest_paths(s, member, isolated, 6, flt)),  # type: ignore[arg-type]
    }


# --- one size --------------------------------------------------------------------------------


def run_size(size: str, args: argparse.Namespace) -> dict[str, Any]:
    data = args.cache / f"{size}-{args.seed}"
    if not (data / "manifest.json").exists():
        log(f"generating {size} (seed {args.seed}) into {data}")
        shutil.rmtree(data, ignore_errors=True)
        generate(size, args.seed, data, progress=lambda m: log(f"generate: {m}"))
    manifest = json.loads((data / "manifest.json").read_text())
    result: dict[str, Any] = {
        "size": size,
        "seed": args.seed,
        "nodes": manifest["nodes"],
        "relationships": manifest["relationships"],
        "dataset_mb": round(manifest["bytes"] / 1e6, 1),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": os.getloadavg(),
    }
    keep: list[Any] = []
    runs = args.ingest_runs or (3 if manifest["nodes"] <= 20_000 else 1)
    kinds = ["ours", "raw"] + ([] if args.no_bulk else ["bulk"])
    all_runs, kept = ingest(data, args.heap, runs, keep, kinds)
    failed = [k for k in kinds if any("failed" in r for r in all_runs[k])]
    result["failed_at_default_heap"] = {k: all_runs[k] for k in failed}
    if failed and args.fallback_heap:
        # The default heap cannot hold the import's one transaction: measure with more, and
        # say so beside the failure.
        log(f"{', '.join(failed)} failed with heap {args.heap}; again with {args.fallback_heap}")
        again, kept = ingest(data, args.fallback_heap, runs, keep, failed)
        all_runs.update(again)
    if kept is None:
        raise SystemExit(f"the import of {size} did not complete: {all_runs['ours']}")
    settings, engine_pid = kept
    result["query_heap"] = settings.engine_heap
    result["ingest"] = {**ingest_summary(all_runs), "runs": all_runs}
    model = load_model()
    types = tuple(t for t in model.relationship_types if t != "MENTIONS")
    flt = LinkFilter.build(types)
    try:
        store = Store(keep[-1][0].connection, load_queries(settings), 300, settings.retry_time)
        result["engine"] = store.ping()
        _, token = KeyStore(store).create("benchmark", Role.ANALYST, created_by="benchmark")
        api_port = free_port()
        with server(["api", "--data-dir", str(settings.data_dir)], api_port) as api:
            base = f"http://127.0.0.1:{api_port}"
            with httpx.Client(base_url=base, headers={"X-API-Key": token}, timeout=300) as client:
                rows, pair = link_questions(
                    store, client, flt, manifest["probes"], args.repeat, args.warmup, args.budget
                )
            result["links"] = rows
            result["pair"] = pair
            member, network = manifest["probes"]["members"][0], manifest["probes"]["networks"][0]
            result["http"] = http_throughput(
                api_port,
                token,
                {
                    "neighbors depth 1": f"/api/v1/entities/{member}/neighbors?depth=1",
                    "neighbors depth 2": f"/api/v1/entities/{member}/neighbors?depth=2",
                    "network facilities": f"/api/v1/networks/{network}/facilities",
                },
                args.http_seconds,
                args.http_clients,
                args.http_rounds,
            )
            result["api_peak_rss_mb"] = vm_hwm_mb(api.pid)
        result["ceiling"] = ceiling(store, data, flt, manifest["probes"], args.ceiling_repeat)
        result["engine_peak_rss_mb"] = vm_hwm_mb(engine_pid)
        store.close()
    finally:
        for handle, data_dir in keep:
            handle.close()
            shutil.rmtree(data_dir, ignore_errors=True)
    result["load_after"] = os.getloadavg()
    result["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


# --- the report ------------------------------------------------------------------------------

NEO4J_PUBLISHED = (
    "Neo4j publishes no single transactional write rate. Its data-ingestion guide "
    "(neo4j.com/docs/data-ingestion-guide) recommends UNWIND batches of 10k-50k rows and "
    '`CALL {...} IN TRANSACTIONS`, and positions LOAD CSV for datasets "up to 10 million '
    'records" (neo4j.com/developer/data-import); the figure Neo4j quotes is for the offline, '
    'non-transactional `neo4j-admin database import`: sustained throughput "around 1M '
    'records (node or relationship or property) per second" (announced with Neo4j 2.2).'
)


def ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def targets(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, measured, met) for this size; latency targets apply at M."""
    at_m = result["size"] in ("M", "L")
    out = []
    ing = result["ingest"]
    if "overhead" in ing:
        out.append(
            (
                "ingest overhead against the raw driver <= 1.2x",
                f"{ing['overhead']['total']:.2f}x (total), "
                f"{ing['overhead']['relationships']:.2f}x (relationship writes)",
                mark(ing["overhead"]["total"] <= 1.2),
            )
        )
    for kind, failures in result.get("failed_at_default_heap", {}).items():
        if kind == "ours" and failures:
            out.append(
                (
                    "ingest at M completes on the embedded default",
                    f"failed with the default heap ({failures[0]['heap']}): "
                    f"{failures[0].get('engine_log') or failures[0]['failed']}",
                    mark(False),
                )
            )
    worst = max(result["links"], key=lambda r: r["project_over_raw"])
    out.append(
        (
            "link query overhead (named-query layer / raw driver) <= 1.2x, every query",
            f"worst {worst['project_over_raw']:.2f}x ({worst['question']})",
            mark(all(r["project_over_raw"] <= 1.2 for r in result["links"])),
        )
    )
    if at_m:
        rels = ing["ours"]["relationships_per_s_total"]
        bulk = ing.get("bulk", {}).get("relationships_per_s_total")
        out.append(
            (
                "ingest at M >= 20,000 relationships/s (whole import, `crimegraph import`)",
                f"{rels:,.0f}/s" + (f"; ArcadeDB's bulk path: {bulk:,.0f}/s" if bulk else ""),
                mark(rels >= 20_000),
            )
        )
        for row in result["links"]:
            http = row["http_ms"]
            if row["kind"] in ("2-hop", "network-facilities"):
                out.append(
                    (
                        f"{row['question']}: HTTP p50 < 20 ms, p99 < 100 ms",
                        f"p50 {ms(http['median'])} ms, p99 {ms(http['p99'])} ms",
                        mark(http["median"] < 20 and http["p99"] < 100),
                    )
                )
            if row["kind"] == "path":
                out.append(
                    (
                        f"{row['question']}: HTTP p99 < 250 ms",
                        f"p99 {ms(http['p99'])} ms",
                        mark(http["p99"] < 250),
                    )
                )
    for row in result["http"]:
        out.append(
            (
                f"HTTP {row['endpoint']} >= 0.5x bare Starlette",
                f"{row['ratio']:.2f}x ({row['api_rps']:.0f} against {row['bare_rps']:.0f} req/s)",
                mark(row["ratio"] >= 0.5),
            )
        )
    return out


def markdown(results: list[dict[str, Any]], info: dict[str, Any], command: str) -> str:
    lines = [
        f"Produced by `{command}` on {results[0]['started']} "
        f"({info['cpu']}, {info['cores_logical']} logical cores, {info['ram_gb']} GB RAM, "
        f"Python {info['python']}, arcadedb-embedded {info['arcadedb_embedded']}, "
        f"neo4j driver {info['neo4j_driver']}). Engine: {results[0].get('engine', '?')}, "
        f"embedded (default heap `{info['default_heap']}` = {info['heap']} here; where an "
        "import cannot complete with it, the table says so and the size is measured again "
        "with more). Load average (1 min) before/after each "
        "size is given: the machine is shared, so compare ratios (measured side by side) more "
        "than absolutes.",
        "",
        "| size | nodes | relationships | dataset | engine heap for the queries | "
        "load before / after |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']} | {r['nodes']:,} | {r['relationships']:,} | {r['dataset_mb']} MB | "
            f"{r['query_heap']} | {r['load_before'][0]:.1f} / {r['load_after'][0]:.1f} |"
        )
    lines += [
        "",
        "**Ingest** (rows/s; medians over runs, each in a fresh engine and a process of its "
        "own; `ours` is `crimegraph import`: read, validate in full, one transaction over "
        "Bolt; `raw` writes the same rows with the same statements through the driver in "
        "one transaction, parse included, no validation; `bulk` is ArcadeDB's GraphBatch "
        "in-process on a fresh embedded database, parse included, no validation, no "
        "transaction around the load):",
        "",
        "| size | path | heap | nodes/s | relationships/s | all rows/s (whole import) | "
        "total s (worst) | runs | importer peak | engine peak |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for kind in ("ours", "raw", "bulk"):
            if kind not in r["ingest"]:
                continue
            i = r["ingest"][kind]
            engine = "in process" if kind == "bulk" else f"{i['engine_peak_rss_mb']:,.0f} MB"
            lines.append(
                f"| {r['size']} | {kind} | {i['heap']} | {i['nodes_per_s']:,.0f} | "
                f"{i['relationships_per_s']:,.0f} | {i['rows_per_s']:,.0f} | "
                f"{i['total_s']:.1f} ({i['worst_total_s']:.1f}) | {i['runs']} | "
                f"{i['importer_peak_rss_mb']:,.0f} MB | {engine} |"
            )
        for kind, failures in r.get("failed_at_default_heap", {}).items():
            for f in failures:
                if "failed" in f:
                    lines.append(
                        f"| {r['size']} | {kind} | {f['heap']} | **failed**: "
                        f"{f.get('engine_log') or f['failed']}; last progress: "
                        f"`{f['last_progress'].strip()}` | | | | | | |"
                    )
        o = r["ingest"].get("overhead")
        if o:
            lines.append(
                f"| {r['size']} | **ours / raw** (time) | | {o['nodes']:.2f}x | "
                f"{o['relationships']:.2f}x | {o['total']:.2f}x | | | | |"
            )
        if "ours_over_bulk" in r["ingest"]:
            lines.append(
                f"| {r['size']} | **ours / bulk** (time) | | | | "
                f"{r['ingest']['ours_over_bulk']:.2f}x | | | | |"
            )
    lines += ["", NEO4J_PUBLISHED, ""]
    lines += [
        "**Link questions** (ms; median / p99 after warm-up; the three paths interleaved in "
        "one loop; ratios of medians):",
        "",
        "| size | question | project | raw driver | HTTP | project / raw | HTTP / raw |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for row in r["links"]:
            p, w, h = row["project_ms"], row["raw_ms"], row["http_ms"]
            lines.append(
                f"| {r['size']} | {row['question']} | {ms(p['median'])} / {ms(p['p99'])} | "
                f"{ms(w['median'])} / {ms(w['p99'])} | {ms(h['median'])} / {ms(h['p99'])} | "
                f"{row['project_over_raw']:.2f}x | {row['http_over_raw']:.2f}x |"
            )
    lines += [
        "",
        "**HTTP throughput** (requests/s, keep-alive clients in separate processes, "
        "median of alternating rounds; `bare` is Starlette returning the same bytes):",
        "",
        "| size | endpoint | response | crimegraph | bare Starlette | ratio |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for row in r["http"]:
            lines.append(
                f"| {r['size']} | {row['endpoint']} | {row['bytes']:,} B | {row['api_rps']:,.0f} | "
                f"{row['bare_rps']:,.0f} | {row['ratio']:.2f}x |"
            )
    lines += [
        "",
        "**Traversal ceiling** (links followed per second; scipy's breadth-first order over "
        "the same links, undirected, from the same start, to the whole component):",
        "",
        "| size | graph | scipy BFS | our 2-hop (limit 2000) | fraction | "
        "our BFS, 6 hops, unreachable | fraction |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c = r["ceiling"]
        lines.append(
            f"| {r['size']} | {c['graph']['nodes']:,} nodes, {c['graph']['links']:,} links | "
            f"{c['scipy']['links_per_s']:,.0f}/s | {c['two_hop']['links_per_s']:,.0f}/s | "
            f"{c['two_hop']['fraction_of_scipy']:.5f} | {c['bfs_6_hops']['links_per_s']:,.0f}/s | "
            f"{c['bfs_6_hops']['fraction_of_scipy']:.5f} |"
        )
    lines += [
        "",
        "**Peak memory** (VmHWM):",
        "",
        "| size | engine (after queries) | API process | importing process (ours) |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']} | {r['engine_peak_rss_mb']:,.0f} MB | {r['api_peak_rss_mb']:,.0f} MB | "
            f"{r['ingest']['ours']['importer_peak_rss_mb']:,.0f} MB |"
        )
    lines += ["", "**Targets**:", "", "| size | target | measured | |", "|---|---|---|---|"]
    for r in results:
        for target, measured, met in targets(r):
            lines.append(f"| {r['size']} | {target} | {measured} | {met} |")
    return "\n".join(lines) + "\n"


def update_readme(table: str) -> None:
    text = README.read_text(encoding="utf-8")
    if START not in text:
        raise SystemExit(f"{README} has no {START} marker")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table}{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", action="append", choices=list(SIZES), help="repeatable; default S"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path.home() / ".cache" / "crimegraph-bench",
        help="where generated datasets are kept between runs",
    )
    parser.add_argument(
        "--heap",
        default=Settings.model_fields["engine_heap"].default,
        help="engine heap, a size or auto (default: crimegraph's default, auto)",
    )
    parser.add_argument("--ingest-runs", type=int, help="default 3 up to S, 1 above")
    parser.add_argument(
        "--fallback-heap",
        default="4g",
        help="engine heap for a second attempt when an import fails at --heap ('' for none)",
    )
    parser.add_argument("--no-bulk", action="store_true", help="skip ArcadeDB's GraphBatch run")
    parser.add_argument("--repeat", type=int, default=30, help="measured rounds per question")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument(
        "--budget", type=float, default=90.0, help="seconds of measuring per question at most"
    )
    parser.add_argument(
        "--http-seconds", type=float, default=5.0, help="length of one throughput round"
    )
    parser.add_argument(
        "--http-clients", type=int, default=4, help="concurrent keep-alive client processes"
    )
    parser.add_argument("--http-rounds", type=int, default=3, help="rounds per server, alternating")
    parser.add_argument(
        "--ceiling-repeat", type=int, default=10, help="runs of scipy's BFS (median)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="where scale-<size>.json and scale.md go (default benchmarks/results, tracked)",
    )
    parser.add_argument("--readme", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args()
    sizes = args.size or ["S"]
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine()
    info["default_heap"], args.heap = args.heap, resolve_heap(args.heap)
    info["heap"] = args.heap
    results = []
    for size in sizes:
        result = run_size(size, args)
        result["machine"] = info
        (args.out / f"scale-{size}.json").write_text(json.dumps(result, indent=2, default=str))
        results.append(result)
    command = "python -m benchmarks.run " + " ".join(f"--size {s}" for s in sizes)
    table = markdown(results, info, command + (" --readme" if args.readme else ""))
    (args.out / "scale.md").write_text(table, encoding="utf-8")
    print(table)
    if args.readme:
        update_readme(table)


if __name__ == "__main__":
    main()
