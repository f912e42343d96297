"""The `crimegraph` command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph.errors import CrimegraphError, InvalidInput
from graph.settings import REPO_ROOT, Settings


def _print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("(no rows)")
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def _cell(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_totals(store: Any) -> None:
    totals = store.run("graph_totals")[0]
    print(f"{totals['nodes']} nodes")
    print(f"{totals['relationships']} relationships")


def _check_port_free(host: str, port: int) -> None:
    """Fail before the engine starts and the seed runs, not after, when the port is taken."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # As uvicorn binds: connections of a server just stopped (TIME_WAIT) do not block it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InvalidInput(
                f"cannot listen on {host}:{port} ({exc.strerror}); is crimegraph already serving? "
                "Choose another with --port or CRIMEGRAPH_PORT"
            ) from exc


def server_config(app: Any, settings: Settings) -> Any:
    """`crimegraph serve`'s uvicorn configuration (a uvicorn.Config). The h11 parser is
    chosen by name, since its buffer for a request line and headers is the limit set here
    (httptools, if installed, would take the place of h11 and ignore it). The buffer is
    larger than the URL and header limits, so a request over those reaches the app and is
    answered in the JSON error shape and audited; past the buffer, h11 refuses it itself
    with a plain-text 400 (docs/security.md)."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        http="h11",
        h11_max_incomplete_event_size=settings.http_head_buffer_bytes,
    )


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = settings.model_copy(
        update={"host": args.host or settings.host, "port": args.port or settings.port}
    )
    _check_port_free(settings.host, settings.port)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    if args.workers > 1:
        return _serve_workers(settings, args)
    # A first admin key when the database has none (printed once; docs/security.md).
    app = create_app(settings, seed_on_start=args.seed, bootstrap_key=True)
    server = uvicorn.Server(server_config(app, settings))
    # uvicorn re-raises the Ctrl-C it handled once the shutdown is done; like uvicorn.run,
    # a server stopped that way has stopped cleanly (exit 0).
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else 3  # uvicorn.run's status when start-up failed


def _serve_workers(settings: Settings, args: argparse.Namespace) -> int:
    """`serve --workers N`: N uvicorn worker processes on one port and one database
    (docs/operations.md). This parent process owns the embedded engine, applies the schema
    and migrations, seeds and makes the first key once, before any worker starts; each
    worker builds the app from the same CRIMEGRAPH_* environment."""
    import os

    import uvicorn

    from api.app import _bootstrap_key
    from graph.engine import EngineHandle
    from graph.model import load_model
    from graph.service import open_store

    with EngineHandle(settings):  # held until the workers are gone
        with open_store(settings) as store:
            if args.seed:
                from seed.loader import load_seed

                seed_dir = settings.seed_dir
                load_seed(store, load_model(), seed_dir / "data", seed_dir / "documents")
            if settings.auth == "keys":
                _bootstrap_key(store, settings)
        os.environ["CRIMEGRAPH_HOST"] = settings.host
        os.environ["CRIMEGRAPH_PORT"] = str(settings.port)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_level="info",
        )
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from graph.backup import backup

    result = backup(settings, Path(args.destination))
    print(f"backup written: {result.path} ({result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s)")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from graph.backup import restore

    result = restore(settings, Path(args.source), force=args.force)
    migrated = (
        f", migrated from schema version {result.restored_version} to {result.schema_version}"
        if result.restored_version != result.schema_version
        else f", schema version {result.schema_version}"
    )
    print(
        f"restored {args.source}: {result.nodes} nodes (replacing {result.replaced_nodes})"
        f"{migrated}; engine {'running' if result.engine_left_running else 'stopped'} "
        f"({result.seconds:.1f} s)"
    )
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from graph.model import load_model
    from graph.service import open_store
    from seed.loader import load_seed

    model = load_model()
    with open_store(settings) as store:
        rows = load_seed(
            store,
            model,
            settings.seed_dir / "data",
            settings.seed_dir / "documents",
            progress=lambda message: print(f"seed: {message}", file=sys.stderr),
        )
        print(
            f"seed: loaded {len(rows.nodes)} node records and {len(rows.relationships)} relationship records",
            file=sys.stderr,
        )
        _print_totals(store)
    return 0


def _parse_params(query: Any, pairs: Sequence[str]) -> dict[str, Any]:
    declared = {p.name: p for p in query.user_params}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--param takes NAME=VALUE, got {pair!r}")
        if name not in declared:
            raise InvalidInput(
                f"query {query.name} has no parameter {name!r}; it takes: "
                + (", ".join(declared) or "none")
            )
        try:
            values[name] = declared[name].parse_text(text)
        except ValueError as exc:
            raise InvalidInput(f"--param {name}: {exc}") from exc
    return values


def cmd_query(settings: Settings, args: argparse.Namespace) -> int:
    from graph.service import load_queries, open_store

    queries = load_queries(settings)
    words: list[str] = args.words
    if not words:
        for query in queries.values():
            signature = ", ".join(f"{p.name}: {p.type}" for p in query.user_params)
            print(f"{query.name:28} {query.mode:5}  {query.description}  ({signature})")
        return 0
    if words[0] == "show":
        if len(words) != 2:
            raise InvalidInput("usage: crimegraph query show NAME [--browser]")
        query = queries[words[1]]
        print(query.browser_block() if args.browser else query.text, end="")
        return 0
    if len(words) != 1:
        raise InvalidInput("usage: crimegraph query NAME [--param k=v ...] [--json]")
    query = queries[words[0]]
    params: dict[str, Any] = _parse_params(query, args.param)
    missing = [p for p in query.user_params if p.name not in params]
    if missing:
        hint = ", ".join(
            f"{p.name} (e.g. {p.name}={json.dumps(p.example, ensure_ascii=False)})" for p in missing
        )
        raise InvalidInput(f"query {query.name} needs --param for: {hint}")
    with open_store(settings) as store:
        rows = store.run(query.name, params)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        _print_table(rows)
    return 0


def cmd_snapshot(settings: Settings, args: argparse.Namespace) -> int:
    from graph import snapshot as snapshots
    from graph.formats import FORMATS, render
    from graph.links import LinkFilter
    from graph.model import load_model
    from graph.service import open_store

    if args.format not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}")
    chosen = [bool(args.id), bool(args.entity), bool(args.query)]
    if sum(chosen) != 1:
        raise InvalidInput("give one of --id SNAPSHOT_ID, --entity ID (repeatable) or --query NAME")
    model = load_model()
    types = [t for t in model.relationship_types if t != "MENTIONS"]
    with open_store(settings) as store:
        created = False
        if args.id:
            snap = snapshots.load(store, args.id)
        elif args.entity:
            flt = LinkFilter.build(tuple(types), args.min_confidence, args.min_grade)
            snap, created = snapshots.save(
                store,
                snapshots.freeze_neighbourhood(store, args.entity, args.depth, flt, args.title),
            )
        else:
            query = store.queries[args.query]
            params = _parse_params(query, args.param)
            snap, created = snapshots.save(
                store, snapshots.freeze_named_query(store, args.query, params, types, args.title)
            )
        content, _, file_name = render(snap, args.format)
    nodes, links = len(snap["nodes"]), len(snap["relationships"])
    known = (
        "" if created or args.id else f" (already stored {snap['created']} as {snap['title']!r})"
    )
    print(
        f"snapshot {snap['id']}: {nodes} node{'s' * (nodes != 1)}, "
        f"{links} relationship{'s' * (links != 1)}{known}",
        file=sys.stderr,
    )
    out = Path(args.out) if args.out else Path(file_name)
    if args.out == "-":
        sys.stdout.buffer.write(content)
    else:
        out.write_bytes(content)
        print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_engine(settings: Settings, args: argparse.Namespace) -> int:
    from graph.engine import EmbeddedEngine

    if settings.neo4j_uri is not None:
        print(f"CRIMEGRAPH_NEO4J_URI is set ({settings.neo4j_uri}): no embedded engine is used")
        return 0
    engine = EmbeddedEngine.from_settings(settings)
    if args.action == "start":
        connection, started = engine.ensure_running()
        print(
            f"{'started' if started else 'already running'}: {connection.uri} (data dir {engine.data_dir})"
        )
    elif args.action == "stop":
        print("stopped" if engine.stop() else "not running")
    else:
        state = engine.running_state()
        print(
            f"running: bolt://127.0.0.1:{state['bolt_port']} pid {state['pid']}"
            if state
            else "not running"
        )
    return 0


def cmd_model(settings: Settings, args: argparse.Namespace) -> int:
    from graph.codegen import generated_files
    from graph.model import load_model

    if not (REPO_ROOT / "pyproject.toml").is_file():
        # The generated files are sources (cypher/, graph/): an installed wheel has none.
        raise InvalidInput("`crimegraph model` works in a source checkout (pip install -e .)")
    model = load_model(Path(args.file) if args.file else REPO_ROOT / "graph" / "model.yaml")
    files = generated_files(model, REPO_ROOT)
    if args.action == "check":
        stale = [
            str(p.relative_to(REPO_ROOT))
            for p, text in files.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        if stale:
            print("out of date (run `crimegraph model render`): " + ", ".join(stale))
            return 1
        print(
            f"model OK: {len(model.node_labels)} labels, {len(model.relationship_types)} relationship types"
        )
        return 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


def _operator() -> str:
    """Who runs a key command, for created_by / revoked_by: the local account."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    from graph.auth import KeyStore, Role
    from graph.service import open_store

    with open_store(settings) as store:
        keys = KeyStore(store, ttl=0)
        if args.action == "create":
            if not args.name:
                raise InvalidInput("keys create needs --name NAME and --role ROLE")
            info, token = keys.create(
                args.name, Role.parse(args.role), args.handling, created_by=_operator()
            )
            handling = ", ".join(info.handling) or "none"
            print(
                f"created key {info.id} ({info.name}, {info.role.value}, handling: {handling}). "
                "The token below is shown once and cannot be recovered: store it now.",
                file=sys.stderr,
            )
            print(token)
        elif args.action == "revoke":
            if not args.key_id:
                raise InvalidInput("usage: crimegraph keys revoke KEY_ID")
            info = keys.revoke(args.key_id, revoked_by=_operator())
            print(
                f"revoked key {info.id} ({info.name}) at {info.revoked_at}; API processes "
                f"stop accepting it within {settings.key_cache_seconds:g} s"
            )
        else:
            rows = [k.as_dict() for k in keys.list()]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                _print_table(rows)
    return 0


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    from graph import audit

    path = Path(args.file) if args.file else settings.audit_path
    if not path.exists():
        # A log that should be there and is not is what deleting it looks like.
        print(f"crimegraph: error: no audit log at {path}", file=sys.stderr)
        return 1
    if args.action == "verify":
        result = audit.verify(
            path, expect_prev=args.expect_prev, checkpoints=tuple(args.checkpoint or ())
        )
        if result.ok:
            after = result.starts_after
            print(
                f"audit log OK: {path}: {result.records} records, head seq {result.head_seq}, "
                f"head hash {result.head_hash}"
                + ("" if after == audit.GENESIS else f", continuing from {after}")
            )
            return 0
        where = f" line {result.broken_line}" if result.broken_line is not None else ""
        print(
            f"audit log BROKEN: {path}{where}"
            + (f" (seq {result.broken_seq})" if result.broken_seq is not None else "")
            + f": {result.reason}; the {result.records} records before it verify "
            f"(last good hash {result.head_hash})",
            file=sys.stderr,
        )
        return 1
    records = audit.tail(path, args.n)
    if args.json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    else:
        _print_table(
            [
                {
                    "seq": r.get("seq"),
                    "time": r.get("time"),
                    "key": r.get("key_id") or "-",
                    "role": r.get("role") or "-",
                    "request": f"{r.get('method') or ''} {r.get('path')}".strip(),
                    "status": r.get("status"),
                    "outcome": r.get("outcome"),
                    "reason": r.get("reason") or "",
                }
                for r in records
            ]
        )
    return 0


def _os_user() -> str:
    """Who decides from the command line: the local account (the API takes `decided_by`)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _print_decision(decision: dict[str, Any]) -> None:
    merged = (
        f", {decision['merged_id']} merged into {decision['canonical_id']} "
        f"({decision['moved_relationships']} relationships moved)"
        if decision.get("canonical_id")
        else ""
    )
    print(
        f"decision {decision['id']}: {decision['judgement']} ({decision['status']}), "
        f"score {decision['score']}{merged}"
    )


def cmd_resolve(settings: Settings, args: argparse.Namespace) -> int:
    from graph import resolution
    from graph.model import load_model
    from graph.service import open_store

    model = load_model()
    with open_store(settings) as store:
        if args.action == "candidates":
            found = resolution.candidates(store, model, args.min_score)[: args.limit]
            if args.json:
                print(json.dumps([c.as_dict() for c in found], ensure_ascii=False, indent=2))
            else:
                _print_table(
                    [
                        {
                            "score": c.score,
                            "left": f"{c.left.id} ({c.left.name})",
                            "right": f"{c.right.id} ({c.right.name})",
                            "reasons": "; ".join(c.reasons),
                        }
                        for c in found
                    ]
                )
        elif args.action == "decide":
            _print_decision(
                resolution.decide(
                    store,
                    model,
                    args.left,
                    args.right,
                    args.judgement,
                    _os_user(),
                    args.canonical,
                    args.note,
                )
            )
        elif args.action == "undo":
            _print_decision(resolution.undo(store, model, args.decision_id, _os_user()))
        elif args.action == "decisions":
            _print_table(
                [
                    {
                        k: d[k]
                        for k in (
                            "id",
                            "judgement",
                            "status",
                            "left_id",
                            "right_id",
                            "decided_by",
                            "decided_at",
                        )
                    }
                    for d in resolution.decisions(store, args.entity or "")
                ]
            )
        else:
            print(json.dumps(resolution.why(store, args.entity_id), ensure_ascii=False, indent=2))
    return 0


def cmd_contradictions(settings: Settings, args: argparse.Namespace) -> int:
    from graph import contradictions
    from graph.model import load_model
    from graph.service import open_store

    model = load_model()
    with open_store(settings) as store:
        found = contradictions.find(store, model)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("no contradictions")
    for item in found:
        print(f"{item['kind']}: {item['message']}")
        print(f"  because: {item['basis']}")
        for claim in item["claims"]:
            sources = ", ".join(f"{s['id']} ({s['title']})" for s in claim["sources"])
            print(f"  - {claim['event_id']}: {claim['value']} ({claim['basis']}); {sources}")
            for quote in claim["quotes"][:3]:
                print(f"      “{quote}”")
    return 0


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    import dataclasses

    from graph import ingest as ingestion
    from graph.model import load_model
    from graph.service import open_store

    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start} is not)") from exc
    model = load_model()
    with open_store(settings) as store:
        result = ingestion.ingest(
            store,
            model,
            text,
            title=args.title,
            source_url=args.source_url,
            published=args.published,
            publisher=args.publisher,
            grading=args.grading,
            confidence=args.confidence,
            handling=args.handling,
            language=args.language,
        )
    if args.json:
        print(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2, default=str))
        return 0
    state = "new" if result.created else "already stored, left as it was"
    print(f"document {result.document_id} ({state}): {result.title}")
    print(f"linked {len(result.linked)} entities (+ new mention, = recorded before):")
    for item in result.linked:
        written = ", ".join(f"“{m}”" for m in item.matched)
        print(
            f"  {'+' if item.created else '='} {item.entity.id}  {item.entity.name} "
            f"({item.entity.labels[-1]})  by {item.resolved_by} {written}, "
            f"{len(item.occurrences)}x, confidence {item.confidence}"
        )
    if result.ambiguous:
        print(
            f"ambiguous {len(result.ambiguous)} (not linked; settle with review accept --entity):"
        )
        for amb in result.ambiguous:
            options = ", ".join(f"{o.id} ({o.name})" for o in amb.options)
            print(f"  “{amb.surface}”: {options}  -> {amb.candidate_id}")
    print(
        f"candidates {len(result.candidates)} (not entities until accepted; "
        f"crimegraph review list --document {result.document_id}):"
    )
    for candidate in result.candidates:
        guess = candidate.get("suggested_label") or "-"
        date = candidate.get("date")
        when = f" = {date}" if date and date != candidate["text"] else ""
        print(
            f"  {candidate['id']}  {candidate['kind']:12} {guess:16} "
            f"{candidate['text']}{when}  [{candidate['status']}]"
        )
    return 0


def _typed_properties(model: Any, label: str | None, pairs: Sequence[str]) -> dict[str, Any]:
    """--property k=v values typed as the model declares k (JSON for numbers and lists)."""
    specs = model.node_properties(label) if label in model.node_labels else {}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise InvalidInput(f"--property takes NAME=VALUE, got {pair!r}")
        spec = specs.get(name)
        if spec is not None and spec.type not in ("string", "text", "date"):
            try:
                values[name] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"--property {name}: expected {spec.type} as JSON") from exc
        else:
            values[name] = text
    return values


def cmd_review(settings: Settings, args: argparse.Namespace) -> int:
    from graph import ingest as ingestion
    from graph.model import load_model
    from graph.service import open_store

    model = load_model()
    if args.action != "list" and not args.candidate_id:
        raise InvalidInput(f"usage: crimegraph review {args.action} CANDIDATE_ID")
    with open_store(settings) as store:
        if args.action == "list":
            rows = ingestion.list_candidates(
                store, None if args.status == "all" else args.status, args.document, args.limit
            )
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
            else:
                _print_table(
                    [
                        {
                            "id": r["id"],
                            "status": r["status"],
                            "kind": r["kind"],
                            "text": r["text"],
                            "label?": r.get("suggested_label") or "",
                            "date": r.get("date") or "",
                            "sentence": (r["sentences"] or [""])[0],
                        }
                        for r in rows
                    ]
                )
            return 0
        if args.action == "reject":
            decision = ingestion.reject_candidate(store, args.candidate_id, args.by or _os_user())
            print(f"rejected {args.candidate_id}")
            return 0
        decision = ingestion.accept_candidate(
            store,
            model,
            args.candidate_id,
            label=args.label,
            name=args.name,
            properties=_typed_properties(model, args.label, args.property),
            entity_id=args.entity,
            confidence=args.confidence,
            decided_by=args.by or _os_user(),
        )
    assert decision.entity is not None
    verb = "created" if decision.entity_created else "linked"
    print(
        f"accepted {args.candidate_id}: {verb} {decision.entity.id} ({decision.entity.name}, "
        f"{decision.entity.labels[-1]}); mention {decision.mention_id}"
    )
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from graph import imports
    from graph.model import load_model
    from graph.service import open_store

    options = imports.ImportOptions(
        source_document=args.source_document,
        grading=args.grading,
        confidence=args.confidence,
        names=imports.CLI_OPTION_NAMES,  # messages name the flags, not the API's parameters
    ).checked()
    source = imports.ImportSource.from_path(Path(args.file))
    with open_store(settings) as store:
        result = imports.run_import(
            store,
            load_model(),
            source,
            format=args.format,
            options=options,
            progress=lambda message: print(f"import: {message}", file=sys.stderr),
            timeout=settings.import_timeout,
            limits=imports.ImportLimits.from_settings(settings),
        )
    ds = result.dataset
    if args.json:
        print(json.dumps({"created": result.created, **ds, "ignored": result.ignored}, indent=2))
        return 0
    if not result.created:
        print(
            f"dataset {ds['id']}: this file was imported before ({ds['imported_at']} by "
            f"{ds['imported_by']}); nothing was written"
        )
        return 0
    for name, count in result.ignored.items():
        entities = f"{count} entit{'y' if count == 1 else 'ies'}"
        print(f"import: ignored FtM property {name} ({entities})", file=sys.stderr)
    print(
        f"dataset {ds['id']}: {ds['nodes']} nodes ({ds['new_nodes']} new), "
        f"{ds['relationships']} relationships ({ds['new_relationships']} new) "
        f"in {result.seconds['total']:.1f} s"
    )
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from graph import imports
    from graph.model import load_model
    from graph.service import open_store

    model = load_model()
    with open_store(settings) as store:
        snapshot = imports.export_graph(store, args.dataset)
    output = Path(args.output)
    written = imports.write_export(snapshot, args.format, output, model)
    print(
        f"exported {len(snapshot['nodes'])} nodes and {len(snapshot['relationships'])} "
        f"relationships to {', '.join(map(str, written))}",
        file=sys.stderr,
    )
    return 0


def cmd_datasets(settings: Settings, args: argparse.Namespace) -> int:
    from graph import imports
    from graph.service import open_store

    with open_store(settings) as store:
        rows = imports.list_datasets(store, args.limit)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_table(
            [
                {k: r[k] for k in ("id", "file_name", "format", "nodes", "relationships")}
                | {"by": r["imported_by"], "at": r["imported_at"]}
                for r in rows
            ]
        )
    return 0


def cmd_generate(settings: Settings, args: argparse.Namespace) -> int:
    from graph.generate import generate

    if args.output is None and not args.dry_run:
        raise InvalidInput("give --output PATH (or --dry-run to count only)")
    output = None if args.dry_run else Path(args.output)
    result = generate(
        args.size,
        args.seed,
        output,
        args.format,
        progress=lambda message: print(f"generate: {message}", file=sys.stderr),
    )
    manifest = result.manifest()
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    where = f" to {output} ({result.bytes / 1e6:.1f} MB)" if output is not None else ""
    print(
        f"generated {manifest['nodes']:,} nodes and {manifest['relationships']:,} relationships "
        f"(size {args.size}, seed {args.seed}){where} in {result.seconds:.1f} s"
    )
    return 0


def _version() -> str:
    """The installed distribution's version (pyproject.toml), as pip sees it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("crimegraph")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crimegraph",
        description="A knowledge graph of organized-crime networks where every link cites its source.",
    )
    parser.add_argument("--version", action="version", version=f"crimegraph {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="serve the API (starts the embedded engine when needed; on a database without "
        "API keys, makes an admin key and prints its token once)",
    )
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--seed", action="store_true", help="load the seed dataset before serving")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API worker processes on the one port (default 1); rate limits and the key cache "
        "are per process (docs/operations.md)",
    )
    serve.set_defaults(func=cmd_serve)

    seed = sub.add_parser("seed", help="load the seed dataset (idempotent, all-or-nothing)")
    seed.set_defaults(func=cmd_seed)

    query = sub.add_parser(
        "query",
        help="run a named query; `query` lists them, `query show NAME --browser` prints one",
        description="crimegraph query NAME [--param k=v ...] | crimegraph query show NAME [--browser]",
    )
    query.add_argument("words", nargs="*", metavar="NAME")
    query.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter; JSON for non-string types, e.g. --param limit=5",
    )
    query.add_argument("--json", action="store_true", help="print rows as JSON")
    query.add_argument(
        "--browser",
        action="store_true",
        help="with show: :param lines + body for the Neo4j Browser",
    )
    query.set_defaults(func=cmd_query)

    snap = sub.add_parser(
        "snapshot",
        help="freeze a subgraph for a briefing and write it in one format",
        description="crimegraph snapshot (--entity ID [--depth N] | --query NAME [--param k=v] | --id SNAPSHOT_ID) "
        "--format html --out FILE",
    )
    snap.add_argument(
        "--entity", action="append", default=[], metavar="ID", help="start entity (repeatable)"
    )
    snap.add_argument("--depth", type=int, default=2, choices=[1, 2, 3])
    snap.add_argument("--query", metavar="NAME", help="a named read query whose entities to freeze")
    snap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    snap.add_argument("--id", metavar="SNAPSHOT_ID", help="render a stored snapshot again")
    snap.add_argument("--title")
    snap.add_argument("--min-confidence", type=int, default=0)
    snap.add_argument("--min-grade", help="e.g. B2")
    snap.add_argument(
        "--format", default="json", help="json, graphml, ftm, cypher, csv, svg, png or html"
    )
    snap.add_argument(
        "--out", help="file to write (default: SNAPSHOT_ID.EXT; - for standard output)"
    )
    snap.set_defaults(func=cmd_snapshot)

    engine = sub.add_parser("engine", help="start, stop or inspect the embedded ArcadeDB engine")
    engine.add_argument("action", choices=["start", "stop", "status"])
    engine.set_defaults(func=cmd_engine)

    model = sub.add_parser("model", help="check the model or render the files generated from it")
    model.add_argument("action", choices=["check", "render"])
    model.add_argument("--file", help="model file (default graph/model.yaml)")
    model.set_defaults(func=cmd_model)

    resolve = sub.add_parser(
        "resolve",
        help="duplicate candidates, decisions (same merges, undo splits) and why an entity is",
        description="crimegraph resolve candidates [--min-score S] | decide LEFT RIGHT "
        "--judgement same|not_same|unsure [--canonical ID] [--note TEXT] | undo DECISION_ID | "
        "decisions [--entity ID] | why ID",
    )
    actions = resolve.add_subparsers(dest="action", required=True)
    found = actions.add_parser("candidates", help="candidate duplicate pairs, best first")
    found.add_argument("--min-score", type=float, default=0.5, help="default 0.5")
    found.add_argument("--limit", type=int, default=50)
    found.add_argument("--json", action="store_true", help="print JSON")
    decide = actions.add_parser("decide", help="record a decision; same merges (undoably)")
    decide.add_argument("left", metavar="LEFT")
    decide.add_argument("right", metavar="RIGHT")
    decide.add_argument("--judgement", required=True, choices=["same", "not_same", "unsure"])
    decide.add_argument("--canonical", metavar="ID", help="with same: the entity that absorbs")
    decide.add_argument("--note")
    undo = actions.add_parser("undo", help="undo a decision; a merge is split exactly")
    undo.add_argument("decision_id", metavar="DECISION_ID")
    listed = actions.add_parser("decisions", help="decisions, oldest first")
    listed.add_argument("--entity", metavar="ID", help="only those about this entity")
    why = actions.add_parser("why", help="the sources, imports and decisions of an entity")
    why.add_argument("entity_id", metavar="ID")
    resolve.set_defaults(func=cmd_resolve)

    contradictions = sub.add_parser(
        "contradictions", help="where sources disagree about one event (dates, statuses)"
    )
    contradictions.add_argument("--json", action="store_true", help="print JSON")
    contradictions.set_defaults(func=cmd_contradictions)

    keys = sub.add_parser(
        "keys",
        help="create, revoke or list API keys (stored hashed in the graph database)",
        description="crimegraph keys create --name NAME --role ROLE [--handling CODE ...] | "
        "keys revoke KEY_ID | keys list",
    )
    keys.add_argument("action", choices=["create", "revoke", "list"])
    keys.add_argument("key_id", nargs="?", metavar="KEY_ID", help="with revoke: the key's id")
    keys.add_argument("--name", help="with create: who or what the key is for")
    keys.add_argument(
        "--role",
        default="viewer",
        choices=["viewer", "investigator", "analyst", "admin"],
        help="with create: the key's role (default viewer)",
    )
    keys.add_argument(
        "--handling",
        action="append",
        default=[],
        metavar="CODE",
        help="with create: a handling code the key may see, e.g. case:prison-break (repeatable)",
    )
    keys.add_argument("--json", action="store_true", help="with list: print JSON")
    keys.set_defaults(func=cmd_keys)

    audit = sub.add_parser(
        "audit", help="verify the audit log's hash chain, or print its last records"
    )
    audit.add_argument("action", choices=["verify", "tail"])
    audit.add_argument("--file", help="audit log (default CRIMEGRAPH_AUDIT_DIR/audit.jsonl)")
    audit.add_argument(
        "--expect-prev", metavar="HASH", help="with verify: head hash of the previous file"
    )
    audit.add_argument(
        "--checkpoint",
        metavar="HASH",
        action="append",
        help="with verify: a head hash printed by an earlier verify and kept elsewhere; it must "
        "still be in the chain (catches records cut from the end). Repeatable",
    )
    audit.add_argument("-n", type=int, default=20, help="with tail: how many records")
    audit.add_argument("--json", action="store_true", help="with tail: one JSON record a line")
    audit.set_defaults(func=cmd_audit)
    ingest = sub.add_parser(
        "ingest",
        help="store an article, link the entities it names, queue new names for review",
        description="crimegraph ingest ARTICLE.txt [--source-url URL] [--published DATE] "
        "[--title T] [--grading B2] [--publisher P]",
    )
    ingest.add_argument("file", metavar="ARTICLE.txt", help="the article as UTF-8 plain text")
    ingest.add_argument("--source-url", help="where it was published")
    ingest.add_argument("--published", help="publication date: YYYY, YYYY-MM or YYYY-MM-DD")
    ingest.add_argument("--title", help="headline (default: the first line of the text)")
    ingest.add_argument("--publisher", help="the outlet")
    ingest.add_argument(
        "--language", choices=["en", "fr"], help="the text's language (default: detected)"
    )
    ingest.add_argument("--grading", help="Admiralty grading of the source, e.g. B2 (default F6)")
    ingest.add_argument(
        "--confidence", type=int, help="default confidence of entities accepted from it (50)"
    )
    ingest.add_argument(
        "--handling",
        help="restrict the document, its mentions and candidates to keys holding this code, "
        "e.g. case:prison-break",
    )
    ingest.add_argument("--json", action="store_true", help="print the result as JSON")
    ingest.set_defaults(func=cmd_ingest)

    review = sub.add_parser(
        "review",
        help="the review queue of names found by ingest: list, accept or reject candidates",
        description="crimegraph review list [--status S] [--document ID] | review accept ID "
        "(--label L [--name N] [--property k=v ...] | --entity ENTITY_ID) | review reject ID",
    )
    review.add_argument("action", choices=["list", "accept", "reject"])
    review.add_argument("candidate_id", nargs="?", metavar="ID", help="the candidate's id")
    review.add_argument(
        "--status", default="pending", choices=["pending", "accepted", "rejected", "all"]
    )
    review.add_argument("--document", metavar="ID", help="with list: only this document's")
    review.add_argument("--limit", type=int, default=100, help="with list: at most this many")
    review.add_argument("--label", help="with accept: create an entity of this label")
    review.add_argument("--name", help="with accept: its name (default the candidate's text)")
    review.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with accept: a property, e.g. location_type=city (repeatable)",
    )
    review.add_argument("--entity", metavar="ENTITY_ID", help="with accept: link this entity")
    review.add_argument("--confidence", type=int, help="with accept: the new entity's confidence")
    review.add_argument("--by", help="who decides (default cli:USER)")
    review.add_argument("--json", action="store_true", help="with list: print JSON")
    review.set_defaults(func=cmd_review)

    imp = sub.add_parser(
        "import",
        help="import FtM JSON lines, CSV or snapshot JSON as one batch (docs/import-format.md)",
        description="crimegraph import FILE [--format ftm|csv|snapshot] [--source-document ID]",
    )
    imp.add_argument("file", metavar="FILE", help="a file, a .zip or a directory of CSV files")
    imp.add_argument("--format", choices=["ftm", "csv", "snapshot"], help="default: detected")
    imp.add_argument(
        "--source-document",
        metavar="DOC_ID",
        help="a Document (stored, or in the file) cited by rows that cite none",
    )
    imp.add_argument("--grading", default="F6", help="for rows without one (default F6)")
    imp.add_argument("--confidence", type=int, default=50, help="for rows without one (default 50)")
    imp.add_argument("--json", action="store_true", help="print the Dataset record as JSON")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser(
        "export",
        help="export the graph or one dataset as FtM JSON lines or neo4j-admin CSV",
        description="crimegraph export [--dataset ID] --format ftm|csv --output PATH",
    )
    exp.add_argument("--dataset", metavar="ID", help="only this import (default: everything)")
    exp.add_argument("--format", choices=["ftm", "csv"], default="ftm")
    exp.add_argument(
        "--output", required=True, help="file to write; for csv a directory, or a .zip"
    )
    exp.set_defaults(func=cmd_export)

    datasets = sub.add_parser("datasets", help="list the imports (Dataset records), newest first")
    datasets.add_argument("--limit", type=int, default=50)
    datasets.add_argument("--json", action="store_true")
    datasets.set_defaults(func=cmd_datasets)

    gen = sub.add_parser(
        "generate",
        help="write a synthetic crime-network dataset in the import format (benchmarks)",
        description="crimegraph generate --size XS|S|M|L --seed N --output PATH [--format csv|ftm]",
    )
    gen.add_argument(
        "--size",
        required=True,
        choices=["XS", "S", "M", "L"],
        help="XS 500 nodes / 2,500 relationships, S 10k / 50k, M 100k / 1M, L 1M / 10M",
    )
    gen.add_argument("--seed", type=int, default=1, help="same size and seed, same bytes")
    gen.add_argument("--output", help="a directory for csv and admin, a .jsonl file for ftm")
    gen.add_argument(
        "--format",
        choices=["csv", "ftm", "admin"],
        default="csv",
        help="csv: a file per label and type; ftm: JSON lines; admin: neo4j-admin import layout",
    )
    gen.add_argument("--dry-run", action="store_true", help="count only, write nothing")
    gen.add_argument("--json", action="store_true", help="print the manifest as JSON")
    gen.set_defaults(func=cmd_generate)

    bak = sub.add_parser(
        "backup",
        help="write a consistent backup of the embedded engine's database while it serves",
        description="crimegraph backup DEST (a file, or a directory for a timestamped file)",
    )
    bak.add_argument("destination", metavar="DEST")
    bak.set_defaults(func=cmd_backup)

    res = sub.add_parser(
        "restore",
        help="replace the embedded engine's database with a backup (stops and restarts it)",
        description="crimegraph restore SRC [--force]",
    )
    res.add_argument("source", metavar="SRC", help="a file written by `crimegraph backup`")
    res.add_argument(
        "--force", action="store_true", help="replace a database that holds data (refused without)"
    )
    res.set_defaults(func=cmd_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(Settings(), args)
    except CrimegraphError as exc:
        print(f"crimegraph: error: {exc.message}", file=sys.stderr)
        return 2 if exc.status < 500 else 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
