"""SpareWorkers: a half runs on a free worker, or in the caller when every worker is busy; errors come back."""

import threading

import pytest

from mnemoscope.adapters.spare_workers import SpareWorkers


def test_a_half_runs_on_a_worker_while_the_caller_works() -> None:
    workers = SpareWorkers(1, "test-spare")
    started, release = threading.Event(), threading.Event()

    def half() -> str:
        started.set()
        release.wait(5)
        return threading.current_thread().name

    result = workers.start(half)
    assert started.wait(5)  # running already, before the caller asks for the result
    release.set()
    assert result().startswith("test-spare")
    workers.close()
    assert not any(t.name.startswith("test-spare") for t in threading.enumerate())


def test_when_every_worker_is_busy_the_caller_runs_the_half_itself() -> None:
    workers = SpareWorkers(1, "test-busy")
    release = threading.Event()
    busy = workers.start(lambda: release.wait(5))
    ran_in: list[str] = []
    second = workers.start(lambda: ran_in.append(threading.current_thread().name) or "done")
    assert ran_in == []  # not started yet: it runs when its result is asked for
    assert second() == "done" and ran_in == [threading.current_thread().name]
    release.set()
    assert busy() is True
    # the worker is free again once its half is done
    assert workers.start(lambda: threading.current_thread().name)().startswith("test-busy")
    workers.close()


def test_an_error_in_the_half_reaches_the_caller() -> None:
    workers = SpareWorkers(2, "test-error")

    def fail() -> None:
        raise ValueError("keyword side failed")

    result = workers.start(fail)
    with pytest.raises(ValueError, match="keyword side failed"):
        result()
    assert workers.start(lambda: 7)() == 7  # the failure freed its worker
    workers.close()
