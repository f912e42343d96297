"""The audit log on its own: append-only, hash-chained, tamper-evident, readable by filter."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from graph.access import audit
from graph.access.audit import GENESIS, AuditLog, read_records, verify
from graph.cli.main import main
from graph.core.errors import AuditUnavailable


def entry(n: int, **extra: Any) -> dict[str, Any]:
    return {"key_id": f"k{n % 3}", "route": f"/r{n % 2}", "outcome": "allowed", "n": n, **extra}


def write(path: Path, count: int) -> AuditLog:
    log = AuditLog(path)
    for n in range(count):
        log.append(entry(n))
    return log


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def rewrite(path: Path, new_lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in new_lines))


def test_records_chain_from_genesis_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "audit.jsonl"
    write(path, 5).close()
    records = [json.loads(line) for line in lines(path)]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(records))
    result = verify(path)
    assert result.ok and result.records == 5 and result.head_hash == records[-1]["hash"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_background_sync_writes_records_at_once_and_syncs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    synced = threading.Event()
    real_fsync = audit.os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        synced.set()

    monkeypatch.setattr(audit.os, "fsync", fsync)
    log = AuditLog(path, sync_interval=0.01)
    log.append(entry(1))
    # On disk for every reader (and a crash of this process) before any fsync returns.
    assert json.loads(lines(path)[0])["n"] == 1
    assert synced.wait(5), "the background thread never synced the record"
    synced.clear()
    log.close()
    log.append(entry(2))  # a closed log reopens: an app started again in the same process
    log.close()  # the last records are synced on close, not left to the thread
    assert synced.is_set()
    assert verify(path).records == 2


def test_a_failed_background_sync_refuses_the_next_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, sync_interval=60)  # only the test's own _sync_now syncs
    log.append(entry(1))

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(audit.os, "fsync", broken)
    log.append(entry(2))
    log._sync_now()  # what the thread does after the interval
    with pytest.raises(AuditUnavailable, match="Input/output error"):
        log.append(entry(3))
    monkeypatch.undo()
    log.append(entry(4))  # the disk is back: records chain on
    log.close()
    assert [r["n"] for r in read_records(path, limit=10)[0]] == [4, 2, 1]


@pytest.mark.parametrize(
    ("tamper", "line", "reason"),
    [
        ("edit", 3, "its hash does not match"),
        ("delete", 3, "follows"),
        ("swap", 2, "follows"),
        ("insert", 3, "follows"),
        ("truncate", 5, "not a complete JSON record"),
        ("rehash_one", 4, "prev_hash"),
    ],
)
def test_any_change_to_the_file_is_found_at_its_first_broken_record(
    tmp_path: Path, tamper: str, line: int, reason: str
) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 5).close()
    original = lines(path)
    changed = list(original)
    if tamper == "edit":  # someone hides who made request 3
        record = json.loads(changed[2])
        record["key_id"] = "someone-else"
        changed[2] = json.dumps(record)
    elif tamper == "delete":
        del changed[2]
    elif tamper == "swap":
        changed[1], changed[2] = changed[2], changed[1]
    elif tamper == "insert":
        changed.insert(2, changed[1])
    elif tamper == "truncate":
        changed[4] = changed[4][:40]
    else:  # edit record 3 and recompute its own hash: the next record no longer links
        record = json.loads(changed[2])
        record["status"] = 200
        record["hash"] = audit.record_hash(record)
        changed[2] = audit.canonical(record).decode()
    rewrite(path, changed)
    result = verify(path)
    assert not result.ok
    assert result.broken_line == line and reason in str(result.reason)
    assert result.records == line - 1


def test_appends_continue_the_chain_across_processes_and_restarts(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    first, second = AuditLog(path), AuditLog(path)  # two API processes on one file

    def work(log: AuditLog, offset: int) -> None:
        for n in range(40):
            log.append(entry(offset + n))

    threads = [
        threading.Thread(target=work, args=(log, i * 100)) for i, log in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.close()
    second.close()
    AuditLog(path).append(entry(999))  # a restarted process
    result = verify(path)
    assert result.ok and result.records == 81 and result.head_seq == 81


def test_a_torn_last_line_is_reported_and_new_records_start_on_their_own_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 2).close()
    with path.open("ab") as handle:
        handle.write(b'{"seq": 3, "half a rec')  # a crash in the middle of a write
    AuditLog(path).append(entry(3))
    assert json.loads(lines(path)[3])["seq"] == 3  # chained after the last good record
    result = verify(path)
    assert not result.ok and result.broken_line == 3 and result.records == 2


def test_a_rotated_file_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = write(path, 3)
    head = verify(path).head_hash
    path.rename(tmp_path / "audit.jsonl.1")  # logrotate moves the file away
    log.append(entry(3))
    rotated = verify(path, expect_prev=head)
    assert rotated.ok and rotated.starts_after == head and rotated.head_seq == 4
    assert not verify(path, expect_prev=GENESIS).ok
    # Without being told it continues a rotated file, a file that does not start at record 1
    # is what cutting records from its start looks like.
    alone = verify(path)
    assert not alone.ok and "starts at record 4" in str(alone.reason)


def test_records_cut_from_the_start_or_the_end_are_found(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 6).close()
    checkpoint = verify(path).head_hash  # kept elsewhere by the operator
    kept = lines(path)
    path.write_text("\n".join(kept[2:]) + "\n")
    cut_start = verify(path)
    assert not cut_start.ok and "not 1" in str(cut_start.reason)
    path.write_text("\n".join(kept[:4]) + "\n")
    assert verify(path).ok  # a shorter chain is still a chain ...
    cut_end = verify(path, checkpoints=(checkpoint,))
    assert not cut_end.ok and "cut from the end" in str(cut_end.reason)  # ... but not the saved one
    path.write_text("\n".join(kept) + "\n")
    assert verify(path, checkpoints=(checkpoint,)).ok


def test_reading_filters_pages_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for n in range(30):
        log.append(entry(n, outcome="denied" if n % 5 == 0 else "allowed"))
    page, cursor = read_records(path, limit=4)
    assert [r["n"] for r in page] == [29, 28, 27, 26] and cursor == 27
    page, cursor = read_records(path, limit=4, cursor=cursor)
    assert [r["n"] for r in page] == [25, 24, 23, 22]
    denied, _ = read_records(path, outcome="denied", limit=100)
    assert [r["n"] for r in denied] == [25, 20, 15, 10, 5, 0]
    mine, _ = read_records(path, key_id="k1", route="/r1", limit=100)
    assert {r["n"] % 6 for r in mine} == {1}
    last = json.loads(lines(path)[-1])
    since, cursor = read_records(path, since=last["time"], limit=100)
    assert since and since[0]["n"] == 29 and all(r["time"] >= last["time"] for r in since)
    assert cursor is None
    assert [r["n"] for r in audit.tail(path, 3)] == [27, 28, 29]


def test_params_are_cut_and_tokens_redacted() -> None:
    token = f"cg_{'a' * 12}_{'b' * 64}"
    summary = audit.summarise_params(
        [("q", "x" * 2000), ("id", "1"), ("id", "2"), ("leak", f"see {token}")]
    )
    assert summary["q"].endswith("(2000 chars)") and len(summary["q"]) < 600
    assert summary["id"] == ["1", "2"]
    assert summary["leak"] == f"see cg_{'a' * 12}_<redacted>"


def test_the_audit_commands_verify_and_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRIMEGRAPH_AUDIT_DIR", str(tmp_path))
    path = tmp_path / "audit.jsonl"
    assert main(["audit", "verify"]) == 1  # no log at all is not a clean log
    assert "no audit log" in capsys.readouterr().err
    write(path, 3).close()
    assert main(["audit", "verify"]) == 0
    assert "audit log OK" in capsys.readouterr().out
    assert main(["audit", "tail", "-n", "2", "--json"]) == 0
    assert [json.loads(line)["seq"] for line in capsys.readouterr().out.splitlines()] == [2, 3]
    changed = lines(path)
    changed[1] = changed[1].replace('"k1"', '"k2"')
    rewrite(path, changed)
    assert main(["audit", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().err
