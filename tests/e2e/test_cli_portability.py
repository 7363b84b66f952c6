"""`mnemoscope export` / `mnemoscope import` on local data directories (in process, the real local model)."""

import json
from pathlib import Path

import pytest

from mnemoscope import Memory
from mnemoscope.cli.main import main


def test_export_then_import_into_another_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a user with a turn and a memory in one data directory
    source, target, file = tmp_path / "a", tmp_path / "b", tmp_path / "alice.jsonl"
    with Memory.local(source) as memory:
        memory.add_messages("alice", [{"role": "user", "content": "I moved to Hangzhou.", "id": "t1"}])
        memory.add_memory("alice", "Alice likes green tea")
    # When it is exported to a file and imported into another directory, twice
    assert main(["export", "--user", "alice", "--data-dir", str(source), "-o", str(file)]) == 0
    for _ in range(2):
        assert main(["import", str(file), "--user", "alice", "--data-dir", str(target)]) == 0
    # Then the other directory exports the same file
    copy = tmp_path / "copy.jsonl"
    assert main(["export", "--user", "alice", "--data-dir", str(target), "-o", str(copy)]) == 0
    assert copy.read_text() == file.read_text()
    assert json.loads(file.read_text().splitlines()[-1]) == {"kind": "end", "messages": 1, "memories": 1}


def test_a_bad_file_is_refused_before_anything_is_stored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text('{"kind":"header","format":"mnemoscope-export","version":1,"user_id":"a","agent_id":"default"}\n')
    assert main(["import", str(file), "--user", "alice", "--data-dir", str(tmp_path / "d")]) == 1
    assert "line 2: the end line is missing" in capsys.readouterr().err
    with Memory.local(tmp_path / "d") as memory:
        assert memory.list_messages("alice").messages == []


def test_direct_access_needs_a_backend_with_its_own_stores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # --tenant reads the stores the settings name; the local backend's store belongs to a running process
    assert main(["export", "--user", "alice", "--tenant", "acme"]) == 1
    assert "export failed: the local backend runs inside `mnemoscope serve`" in capsys.readouterr().err


def test_memory_local_names_a_bad_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnemoscope.domain.errors import ConfigurationError

    monkeypatch.setenv("MNEMOSCOPE_EMBEDDER", "word2vec")
    with pytest.raises(ConfigurationError, match="MNEMOSCOPE_EMBEDDER"):
        Memory.local(tmp_path)
