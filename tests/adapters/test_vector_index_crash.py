"""A process killed between the SQLite write and the vector index write: the next start repairs the index.

The child process is real and dies by SIGKILL (no cleanup, no flush): either right after the SQLite commit of
an add + a delete, before any index work (`after-commit`), or in the middle of writing the index file
(`mid-save`: `Index.save` writes half a file, then the process kills itself). Afterwards a fresh process on the
same data directory must find the new memory and never return the deleted one."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from tests.contracts.builders import scope

DIM = 32
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import numpy as np
    from mnemoscope.adapters.local import vector_store
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.ports.memory_index import IndexEntry
    from tests.contracts.builders import memory, scope

    directory, mode = Path(sys.argv[1]), sys.argv[2]
    vectors = np.load(directory / "vectors.npy")
    index = SqliteMemoryIndex(SqliteDatabase(directory / "m.db"), vectors.shape[1], directory / "vectors")
    as_tuple = lambda v: tuple(float(x) for x in v)
    index.upsert(
        [IndexEntry(node=memory(f"m{i:04d}", f"fact {i}"), vector=as_tuple(v)) for i, v in enumerate(vectors[:-1])]
    )
    index.vector_search(scope(), as_tuple(vectors[0]), 5)  # builds the scope's index and saves its file
    assert list((directory / "vectors").glob("*.usearch")), "the index file was not written"

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    if mode == "mid-save":
        vector_store.SAVE_AFTER_CHANGES = 1

        def half_a_file(self, path, *args, **kwargs):
            Path(path).write_bytes(b"usearch" * 100)
            die()

        vector_store.Index.save = half_a_file
    index.upsert([IndexEntry(node=memory("new", "the new fact"), vector=as_tuple(vectors[-1]))])
    index.delete(scope(), "m0001")
    if mode == "after-commit":
        die()
    index.vector_search(scope(), as_tuple(vectors[-1]), 5)  # replays the two changes, then saves: dies inside
    sys.exit("the child was meant to die before this point")
    """
)


@pytest.mark.parametrize("mode", ["after-commit", "mid-save"])
def test_a_restart_after_a_crash_finds_the_new_memory_and_not_the_deleted_one(tmp_path: Path, mode: str) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((301, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    np.save(tmp_path / "vectors.npy", vectors)
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(repo / "shared")])}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the child is meant to die by SIGKILL
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    new = index.vector_search(scope(), tuple(float(x) for x in vectors[-1]), 1)
    assert [h.node.id for h in new] == ["new"]
    around_deleted = index.vector_search(scope(), tuple(float(x) for x in vectors[1]), 300)
    assert "m0001" not in {h.node.id for h in around_deleted}
    assert len(around_deleted) == 300  # 300 loaded - 1 deleted + 1 new: nothing else lost
