"""`crimegraph ingest`: store an article, link the entities it names, queue new names for
review (docs/ingest.md)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from graph.cli.output import add_json, to_json
from graph.core.errors import InvalidInput
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    ingest = subparsers.add_parser(
        "ingest",
        help="store an article, link the entities it names, queue new names for review",
        description="crimegraph ingest ARTICLE.txt [--source-url URL] [--published DATE] "
        "[--title T] [--grading B2] [--publisher P] [--json]",
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
    add_json(ingest)
    ingest.set_defaults(func=run)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start} is not)") from exc


def _print_result(result: Any) -> None:
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


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import open_store
    from graph.growth import ingest as ingestion
    from graph.model.schema import load_model

    text = _read_text(Path(args.file))
    with open_store(settings) as store:
        result = ingestion.ingest(
            store,
            load_model(),
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
        print(to_json(dataclasses.asdict(result)))
    else:
        _print_result(result)
    return 0
