"""`mnemoscope backfill-sparse` on a local data directory written before the sparse list (the real local model)."""

import sqlite3
from pathlib import Path

import pytest

from mnemoscope import Memory
from mnemoscope.cli.main import main


def _counts(data_dir: Path) -> tuple[int, int]:
    with sqlite3.connect(data_dir / "mnemoscope.db") as conn:
        memories = conn.execute("SELECT count(*) FROM memories").fetchone()[0]
        sparse = conn.execute("SELECT count(*) FROM memory_sparse").fetchone()[0]
    return memories, sparse


def test_older_memories_get_their_sparse_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("MNEMOSCOPE_NATIVE_DIR", str(tmp_path / "native"))
    monkeypatch.setenv("MNEMOSCOPE_SPARSE_RANKING", "false")  # as a release before the sparse list wrote them
    with Memory.local(data) as memory:
        for fact in ("Alice likes green tea", "Alice moved to Hangzhou", "Alice's cat is called Miso"):
            memory.add_memory("alice", fact)
    assert _counts(data) == (3, 0)

    monkeypatch.delenv("MNEMOSCOPE_SPARSE_RANKING")
    assert main(["backfill-sparse", "--data-dir", str(data), "--batch", "2"]) == 0
    assert _counts(data) == (3, 3)
    assert "done: 3 memories" in capsys.readouterr().out
    assert main(["backfill-sparse", "--data-dir", str(data)]) == 0  # nothing left: a no-op
    assert "done: 0 memories" in capsys.readouterr().out


def test_refused_when_the_sparse_list_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNEMOSCOPE_SPARSE_RANKING", "false")
    assert main(["backfill-sparse", "--data-dir", str(tmp_path)]) == 2


def test_fails_clearly_without_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MNEMOSCOPE_NATIVE_DIR", str(tmp_path / "native"))
    monkeypatch.setenv("CC", str(tmp_path / "no-compiler"))
    assert main(["backfill-sparse", "--data-dir", str(tmp_path / "data")]) == 1
    assert "one-pass engine is unavailable" in capsys.readouterr().err
