"""The chat CLI in a pseudo-terminal against a real `mnemoscope serve` process."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.e2e.test_serve_http import Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    srv.wait_ready()
    yield srv
    srv.stop()


def spawn(url: str) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "mnemoscope.cli.main", "chat", "--url", url, "--user", "alice"],
        encoding="utf-8",
        timeout=30,
        env={"TERM": "dumb", "PATH": "/usr/bin:/bin"},
    )
    return child


def test_chat_cli_session_in_a_terminal(server: Server) -> None:
    child = spawn(server.base)
    child.expect("paused: no chat model configured")
    child.expect("you")
    child.sendline("/add_memory My sister Lena lives in Oslo")
    child.expect("remembered")
    child.sendline("/list_memory")
    child.expect("My sister Lena lives in Oslo")
    child.sendline("/retrieve_memory where does my sister live")
    child.expect("Oslo")
    child.sendline("hello")  # no chat model on this server: a readable error, and the session goes on
    child.expect("HTTP 409")
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_chat_cli_explains_an_unreachable_server() -> None:
    child = spawn("http://127.0.0.1:9")
    child.expect("cannot reach http://127.0.0.1:9: is `mnemoscope serve` running")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
