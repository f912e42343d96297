"""The `crimegraph` command line: assembles the commands (one module each, or a group, in
graph/cli/) and runs the one asked for, with the documented exit codes."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from graph.cli import (
    audit,
    backup,
    engine,
    export,
    generate,
    imports,
    ingest,
    keys,
    model,
    query,
    resolve,
    review,
    seed,
    serve,
    snapshot,
)
from graph.cli.output import BROKEN_PIPE, EXIT_CODES_HELP, USAGE, exit_code
from graph.core.errors import CrimegraphError
from graph.core.settings import Settings
from graph.db import view

# In the order `crimegraph --help` lists them.
COMMANDS = (
    serve,
    seed,
    query,
    snapshot,
    engine,
    model,
    resolve,
    keys,
    audit,
    ingest,
    review,
    imports,
    export,
    generate,
    backup,
)


def _version() -> str:
    """The installed distribution's version (pyproject.toml), as pip sees it."""
    try:
        return version("crimegraph")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crimegraph",
        description="A knowledge graph of organized-crime networks where every link cites its "
        "source.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"crimegraph {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "scoped", True):
        code: int = args.func(Settings(), args)  # serve: each request reads with its own view
        return code
    # The other commands are run by whoever holds the database's files: the operator sees
    # every item. Said here, once, because reads outside a request see nothing restricted
    # unless the caller says whose view they read with (graph.db.view). Never around serve:
    # the scope would be the view of every request that did not set its own.
    with view.unrestricted():
        code = args.func(Settings(), args)
    return code


def _quiet_broken_pipe() -> int:
    """The reader of standard output went away (`crimegraph ... | head`): stop without a
    traceback, and keep Python's flush at exit from failing again on the closed pipe."""
    with contextlib.suppress(OSError, ValueError):  # a stdout without a file (a test's)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2), as argparse exits
        return exc.code if isinstance(exc.code, int) else USAGE
    try:
        code = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except CrimegraphError as exc:
        print(f"crimegraph: error: {exc.message}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
