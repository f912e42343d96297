"""The audit trail: one JSON line per request, append-only, hash-chained (docs/security.md).

Each record holds `prev_hash` (the previous record's `hash`; 64 zeros for the first) and
`hash` = SHA-256 over the previous hash and the record's canonical JSON (sorted keys, no
spaces, ASCII, without `hash`). The API only ever appends (the file is opened O_APPEND,
write-only, mode 0600; nothing here truncates or rewrites it); an edit, insertion or deletion
anywhere breaks the chain, and `verify()` names the first broken record. Someone who can
rewrite the whole file can also rebuild the chain: a deployment ships the file to write-once
storage and keeps the head hash elsewhere.

Several processes may append to one file: an exclusive `flock` around each append keeps one
chain, and each process re-reads the tail when another has written since.

The request's context (who, which named queries ran, what was denied and why) is collected
in a context variable; the queries it ran are noted by graph.db.store in graph.db.view's
query log, which `activate()` points at the request's record.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.core.errors import AuditUnavailable, InvalidInput
from graph.db.view import QueryNote, recording

if TYPE_CHECKING:
    from graph.access.auth import Principal

GENESIS = "0" * 64
OUTCOMES = ("allowed", "denied", "error")
MAX_PARAM_CHARS = 500
MAX_PARAMS = 50
MAX_DETAIL_CHARS = 20_000
_TOKEN = re.compile(r"cg_([0-9a-f]{12})_[0-9a-f]{64}")
_BLOCK = 64 * 1024


# ---------------------------------------------------------------------------------------------
# The request's context


@dataclass
class RequestAudit:
    """What one request did, filled in as it runs and written when its response is done."""

    principal: Principal | None = None
    presented_key_id: str | None = None  # the key id of the token sent, valid or not
    auth_failure: str | None = None
    route: str | None = None
    denied_reason: str | None = None
    queries: list[QueryNote] = field(default_factory=list)
    result_items: int | None = None
    details: dict[str, str] = field(default_factory=dict)
    body_bytes: int = 0
    body_hash: Any = field(default_factory=hashlib.sha256)  # hashlib object


_CURRENT: contextvars.ContextVar[RequestAudit | None] = contextvars.ContextVar(
    "crimegraph_request_audit", default=None
)


def current() -> RequestAudit | None:
    return _CURRENT.get()


@contextlib.contextmanager
def activate(ctx: RequestAudit) -> Iterator[RequestAudit]:
    """Make ctx the current request's context (worker threads inherit it)."""
    token = _CURRENT.set(ctx)
    try:
        with recording(ctx.queries):  # the store notes each named query it runs there
            yield ctx
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Queries run inside are not the request's own (the API key lookup)."""
    token = _CURRENT.set(None)
    try:
        with recording(None):
            yield
    finally:
        _CURRENT.reset(token)


def note_result_items(count: int) -> None:
    """Record how many items (entities, links, rows) the current request returns."""
    ctx = _CURRENT.get()
    if ctx is not None:
        ctx.result_items = count


def note_detail(name: str, text: str) -> None:
    """Keep one piece of a request body whole in its record, where a size and hash are not
    enough: the analysts' Cypher text (up to MAX_DETAIL_CHARS, tokens redacted)."""
    ctx = _CURRENT.get()
    if ctx is not None:
        cut = redact(text)
        if len(cut) > MAX_DETAIL_CHARS:
            cut = f"{cut[:MAX_DETAIL_CHARS]}... ({len(text)} chars)"
        ctx.details[name] = cut


def note_denied(reason: str) -> None:
    """Record that the current request was refused for `reason` although its status does not
    say so (a handling-restricted item answered 404): the audit outcome becomes `denied`."""
    ctx = _CURRENT.get()
    if ctx is not None:
        ctx.denied_reason = reason


# ---------------------------------------------------------------------------------------------
# Records


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def system_event(event: str, message: str, outcome: str, facts: dict[str, Any]) -> dict[str, Any]:
    """An audit entry for something the service itself did, not a request (e.g. restarting
    its engine): the same fields as a request's record, so readers and `verify` need no
    second shape; `event` names it and no key, route or client is set."""
    return {
        "event": event,
        "key_id": None,
        "key_name": None,
        "role": None,
        "auth_disabled": False,
        "method": None,
        "route": None,
        "path": f"system:{event}",
        "params": {"query": {}, "path": {}, "body": None},
        "queries": [],
        "details": {k: str(v) for k, v in facts.items()},
        "result": {"bytes": 0, "items": None},
        "status": 0,
        "outcome": outcome,
        "reason": message,
        "client": None,
        "duration_ms": 0.0,
    }


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the record's canonical JSON (without `hash`)."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(str(record["prev_hash"]).encode("ascii") + canonical(body)).hexdigest()


def redact(text: str) -> str:
    """Tokens pasted into a URL never reach the log: only their public key id does."""
    return _TOKEN.sub(r"cg_\1_<redacted>", text)


def summarise_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Query and path parameters for a record: repeated names as lists, long values cut,
    tokens redacted."""
    out: dict[str, Any] = {}
    for name, value in pairs[:MAX_PARAMS]:
        name = redact(name)[:MAX_PARAM_CHARS]
        text = redact(value)
        if len(text) > MAX_PARAM_CHARS:
            text = f"{text[:MAX_PARAM_CHARS]}... ({len(value)} chars)"
        if name in out:
            previous = out[name]
            out[name] = [*previous, text] if isinstance(previous, list) else [previous, text]
        else:
            out[name] = text
    if len(pairs) > MAX_PARAMS:
        out["..."] = f"{len(pairs) - MAX_PARAMS} more parameters"
    return out


# ---------------------------------------------------------------------------------------------
# Writing


class AuditLog:
    """Appends records to one file. It has no method that removes or changes a record."""

    def __init__(self, path: Path, *, fsync: bool = True, sync_interval: float = 0.0) -> None:
        """`sync_interval` > 0: each record is written to the file at once (it survives a
        crash of this process) and a background thread fsyncs at most that often, so a
        power loss can lose that much; 0: fsync after every record. On this machine an
        fsync takes 2-4 ms, most of a small API request (benchmarks/README.md); Linux
        auditd's default flush (INCREMENTAL_ASYNC) makes the same trade."""
        self.path = path
        self.fsync = fsync
        self.sync_interval = sync_interval if fsync else 0.0
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._seq = 0
        self._prev = GENESIS
        self._known: tuple[int, int] | None = None  # (inode, size) after our last write
        self._dirty = threading.Event()
        self._closed = threading.Event()
        self._sync_error: OSError | None = None
        self._syncer: threading.Thread | None = None

    def _open(self) -> int:
        """The append descriptor, reopened if the file was moved away (rotation)."""
        if self._fd is not None:
            try:
                same = os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return self._fd
            os.close(self._fd)
            self._fd = None
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._fd = fd
        return fd

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Add `time`, `seq`, `prev_hash` and `hash` to entry, write it as one line, fsync;
        return the written record. AuditUnavailable if the file cannot be written."""
        with self._lock:
            try:
                if self._sync_error is not None:
                    failed, self._sync_error = self._sync_error, None
                    raise failed
                return self._append(entry)
            except OSError as exc:
                raise AuditUnavailable(
                    f"the audit log {self.path} cannot be written: {exc.strerror}"
                ) from exc

    def _sync_in_background(self) -> None:
        """Mark the file dirty for the syncing thread (started on first use)."""
        if self._syncer is None:
            self._syncer = threading.Thread(target=self._sync_loop, name="audit-fsync", daemon=True)
            self._syncer.start()
        self._dirty.set()

    def _sync_loop(self) -> None:
        while not self._closed.is_set():
            self._dirty.wait()
            self._closed.wait(self.sync_interval)  # gather the records of this interval
            self._dirty.clear()
            self._sync_now()

    def _sync_now(self) -> None:
        with self._lock:
            # A duplicate: the fsync runs outside the lock, so appends are not held up by it,
            # and a rotation closing the original cannot pull the descriptor away.
            fd = os.dup(self._fd) if self._fd is not None else None
        if fd is None:
            return
        try:
            os.fsync(fd)
        except OSError as exc:
            self._sync_error = exc  # the next append reports it: requests are refused
        finally:
            os.close(fd)

    def _append(self, entry: dict[str, Any]) -> dict[str, Any]:
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            stat = os.fstat(fd)
            prefix = b""
            if self._known != (stat.st_ino, stat.st_size) and stat.st_size > 0:
                # Another process wrote since, or this is our first write: continue its chain.
                seq, prev, ends_with_newline = last_link(self.path)
                self._seq, self._prev = seq, prev
                if not ends_with_newline:
                    prefix = b"\n"  # a torn line (a crash mid-write) stays on its own line
            # The time is taken under the lock, so times never go back along the file.
            record = {**entry, "time": now_iso(), "seq": self._seq + 1, "prev_hash": self._prev}
            record["hash"] = record_hash(record)
            data = prefix + canonical(record) + b"\n"
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            if self.sync_interval > 0:
                self._sync_in_background()
            elif self.fsync:
                os.fsync(fd)
            self._seq, self._prev = record["seq"], record["hash"]
            self._known = (stat.st_ino, stat.st_size + len(data))
            return record
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Sync what is written (and stop the syncing thread), then close the file."""
        self._closed.set()
        self._dirty.set()
        if self._syncer is not None:
            self._syncer.join()
            self._syncer = None
        if self.fsync:
            self._sync_now()
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._closed.clear()  # usable again: the next append reopens (a restarted app)
            self._dirty.clear()


def last_link(path: Path) -> tuple[int, str, bool]:
    """(seq, hash) of the last complete record of a file, and whether it ends with a newline;
    (0, GENESIS, True) for an empty file."""
    ends_with_newline = True
    for index, line in enumerate(_reverse_lines(path)):
        if index == 0:
            ends_with_newline = line.endswith(b"\n")
        try:
            record = json.loads(line)
            return int(record["seq"]), str(record["hash"]), ends_with_newline
        except (ValueError, KeyError, TypeError):
            continue  # a torn or damaged line: verify() reports it
    return 0, GENESIS, ends_with_newline


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int  # records checked (up to the first broken one)
    head_seq: int  # last good record's seq (0: none)
    head_hash: str  # last good record's hash: keep it elsewhere to detect a rebuilt chain
    starts_after: str  # the first record's prev_hash (GENESIS unless the file was rotated)
    broken_line: int | None = None  # 1-based line number of the first broken record
    broken_seq: int | None = None
    reason: str | None = None


def verify(
    path: Path, expect_prev: str | None = None, checkpoints: tuple[str, ...] = ()
) -> VerifyResult:
    """Walk the chain from the first line; stop at the first record that does not link.
    The first record must be record 1 following GENESIS, or follow `expect_prev` (the head
    hash of the file rotated out before it): records cut from the start are caught. A
    `checkpoint` (a head hash saved elsewhere earlier) must still be in the chain: records
    cut from the end back past it are caught too."""
    prev: str | None = None
    seq = 0
    starts_after = GENESIS
    count = 0
    seen_checkpoints = set(checkpoints)
    if not path.exists():
        return VerifyResult(not checkpoints, 0, 0, GENESIS, GENESIS)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            record_seq: int | None = None
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
                record_seq, claimed, record_prev = (
                    record["seq"],
                    record["hash"],
                    record["prev_hash"],
                )
                if not isinstance(record_seq, int) or not isinstance(record_prev, str):
                    raise ValueError("seq or prev_hash has the wrong type")
                if prev is None:
                    starts_after = record_prev
                    if expect_prev is not None and record_prev != expect_prev:
                        raise ValueError("the first record does not follow the expected hash")
                    if expect_prev is None and record_seq == 1 and record_prev != GENESIS:
                        raise ValueError("record 1 does not start from the genesis hash")
                    if expect_prev is None and record_seq != 1:
                        raise ValueError(
                            f"the file starts at record {record_seq}, not 1: records were cut "
                            "from its start, or it continues a rotated file (give the head "
                            "hash of that file as expect_prev)"
                        )
                elif record_seq != seq + 1:
                    raise ValueError(f"seq {record_seq} follows {seq}")
                elif record_prev != prev:
                    raise ValueError("prev_hash is not the previous record's hash")
                if record_hash(record) != claimed:
                    raise ValueError("the record was changed: its hash does not match")
            except (ValueError, KeyError) as exc:
                reason = str(exc) if isinstance(exc, ValueError) else f"no field {exc}"
                if isinstance(exc, json.JSONDecodeError):
                    reason = "not a complete JSON record"
                return VerifyResult(
                    False, count, seq, prev or GENESIS, starts_after, number, record_seq, reason
                )
            prev, seq, count = claimed, record_seq, count + 1
            seen_checkpoints.discard(claimed)
    if seen_checkpoints:
        return VerifyResult(
            False,
            count,
            seq,
            prev or GENESIS,
            starts_after,
            None,
            None,
            f"checkpoint {sorted(seen_checkpoints)[0]} is not in the chain: records were cut "
            "from the end of the file",
        )
    return VerifyResult(True, count, seq, prev or GENESIS, starts_after)


def _reverse_lines(path: Path) -> Iterator[bytes]:
    """The file's lines, last first (with their newline, if any), read in blocks."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        position = handle.tell()
        rest = b""
        while position > 0:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            chunk = handle.read(step) + rest
            lines = chunk.splitlines(keepends=True)
            rest = lines.pop(0) if position > 0 and lines else b""
            for line in reversed(lines):
                if line.strip():
                    yield line
        if rest.strip():
            yield rest


def _normal_time(value: str | datetime) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"since must be an ISO date-time, e.g. 2026-11-22T15:30:00Z, got {value!r}"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_records(
    path: Path,
    *,
    key_id: str | None = None,
    route: str | None = None,
    outcome: str | None = None,
    since: str | datetime | None = None,
    limit: int = 100,
    cursor: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Records newest first, filtered; with `cursor` (a seq) only older ones. Returns the
    page and the cursor for the next page (None when the file has no older records)."""
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}")
    after = _normal_time(since) if since is not None else None
    page: list[dict[str, Any]] = []
    for line in _reverse_lines(path):
        try:
            record = json.loads(line)
            seq = int(record["seq"])
        except (ValueError, KeyError, TypeError):
            continue  # damaged lines are verify()'s to report
        if cursor is not None and seq >= cursor:
            continue
        if after is not None and str(record.get("time", "")) < after:
            break  # older records are older still
        if key_id is not None and record.get("key_id") != key_id:
            continue
        if route is not None and record.get("route") != route:
            continue
        if outcome is not None and record.get("outcome") != outcome:
            continue
        page.append(record)
        if len(page) == limit:
            return page, seq
    return page, None


def tail(path: Path, count: int) -> list[dict[str, Any]]:
    """The last `count` records, oldest first."""
    records, _ = read_records(path, limit=count)
    return list(reversed(records))
