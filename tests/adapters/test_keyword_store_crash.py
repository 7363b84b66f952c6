"""A writer process killed by SIGKILL, while another process has the scope's keyword index loaded.

The child commits an add and a delete, then dies inside a third write, after its keyword rows and change-log
entry were written but before the commit. The surviving reader (its in-memory index loaded before all this) and a
fresh process must both find the committed new memory, never the deleted one, and nothing of the lost write."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from tests.contracts.builders import DIM, entry, memory, scope

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from mnemoscope.adapters.local import sqlite_memory_index
    from mnemoscope.adapters.local.keyword_store import KeywordStore
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from tests.contracts.builders import DIM, entry, memory, scope

    index = SqliteMemoryIndex(SqliteDatabase(Path(sys.argv[1]) / "m.db"), DIM)
    index.upsert([entry(memory("new", "marathon 马拉松 training"))])
    index.delete(scope(), "m0001")
    original = KeywordStore.put

    def put_then_die(conn, pk, scope_key, texts):
        original(conn, pk, scope_key, texts)
        os.kill(os.getpid(), signal.SIGKILL)

    sqlite_memory_index.KeywordStore.put = staticmethod(put_then_die)
    index.upsert([entry(memory("lost", "marathon marathon marathon"))])
    sys.exit("the child was meant to die before this point")
    """
)


def test_a_killed_writer_leaves_every_reader_consistent(tmp_path: Path) -> None:
    reader = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    reader.upsert([entry(memory(f"m{i:04d}", f"marathon fact {i}")) for i in range(200)])
    assert len(reader.keyword_search(scope(), "marathon", 500)) == 200  # loads the scope's keyword index
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(repo / "shared")])}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the child is meant to die by SIGKILL
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    fresh = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    for index in (reader, fresh):
        found = [h.node.id for h in index.keyword_search(scope(), "marathon 马拉松", 500)]
        assert found[0] == "new"
        assert "m0001" not in found
        assert "lost" not in found
        assert len(found) == 200  # 200 - 1 deleted + 1 new
