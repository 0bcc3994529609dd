"""ui.background.BackgroundWorker: requests return at once, the newest request wins, results are per key."""
from __future__ import annotations

import threading

import pytest

from ui.background import BackgroundWorker, Task


def gated_task(key, gate: threading.Event, log: list, value=None, images: int = 4) -> Task:
    def run(progress, stop):
        for i in range(images):
            gate.wait(10)
            if stop.is_set():
                return "partial"
            progress(i + 1, images)
        log.append(key)
        return value if value is not None else f"value of {key}"
    return Task(key, str(key), images, run)


def test_request_returns_at_once_and_fills_the_cache():
    w = BackgroundWorker()
    gate, log = threading.Event(), []
    w.request([gated_task("a", gate, log), gated_task("b", gate, log)])
    status = w.status(["a", "b"])
    assert not status.complete and status.total == 8 and w.lookup("a") is None
    gate.set()
    assert w.wait(["a", "b"], timeout=10)
    assert w.lookup("a") == "value of a" and w.lookup("b") == "value of b"
    assert w.status(["a", "b"]).complete and log == ["a", "b"]
    w.request([gated_task("a", gate, log)])  # cached: nothing runs again
    assert w.wait(["a"], timeout=1) and log == ["a", "b"]


def test_newer_request_supersedes_and_never_overwrites_its_numbers():
    w = BackgroundWorker()
    slow, log = threading.Event(), []
    w.request([gated_task("old", slow, log, value="OLD")])
    fast = threading.Event()
    fast.set()
    w.request([gated_task("new", fast, log, value="NEW")])
    slow.set()  # the old task resumes, finds its stop event set and returns; its partial value is dropped
    assert w.wait(["new"], timeout=10)
    assert w.lookup("new") == "NEW"
    w.request([])
    assert w.lookup("old") is None and "old" not in log


def test_a_task_still_wanted_by_the_newer_request_is_kept():
    w = BackgroundWorker()
    gate, log = threading.Event(), []
    shared = gated_task("shared", gate, log)
    w.request([shared, gated_task("x", gate, log)])
    w.request([shared, gated_task("y", gate, log)])
    gate.set()
    assert w.wait(["shared", "y"], timeout=10)
    assert log.count("shared") == 1 and "x" not in log


def test_errors_are_kept_per_key_and_the_worker_goes_on():
    w = BackgroundWorker()

    def boom(progress, stop):
        raise ValueError("broken checkpoint")
    gate, log = threading.Event(), []
    gate.set()
    w.request([Task("bad", "bad", 1, boom), gated_task("good", gate, log)])
    assert w.wait(["bad", "good"], timeout=10)
    assert "broken checkpoint" in w.error("bad") and w.lookup("good") == "value of good"
    assert w.status(["bad", "good"]).complete


@pytest.mark.parametrize("max_entries", [1, 2])
def test_least_recently_used_results_are_evicted(max_entries):
    w = BackgroundWorker(max_entries=max_entries)
    gate, log = threading.Event(), []
    gate.set()
    for k in ("a", "b", "c"):
        w.request([gated_task(k, gate, log)])
        assert w.wait([k], timeout=10)
    assert w.lookup("c") is not None and w.lookup("a") is None
    assert (w.lookup("b") is not None) == (max_entries == 2)


def test_two_clients_do_not_supersede_each_other():
    """Two tabs polling with different settings both get their numbers (no livelock)."""
    w = BackgroundWorker()
    gate, log = threading.Event(), []
    a, b = gated_task("a", gate, log), gated_task("b", gate, log)
    w.request([a], client="tab1")
    w.request([b], client="tab2")
    w.request([a], client="tab1")  # tab1 polls again: b (tab2's) stays wanted
    gate.set()
    assert w.wait(["a", "b"], timeout=10)
    assert sorted(log) == ["a", "b"]
    w.stop("tab1")
    assert w.lookup("a") == "value of a"  # stopping drops the request, not finished results


def test_shutdown_abandons_the_running_task_and_ends_the_thread():
    w = BackgroundWorker()
    gate, log = threading.Event(), []
    w.request([gated_task("a", gate, log)])
    thread = w._thread
    gate.set()
    w.shutdown(timeout=10)
    assert not thread.is_alive()
    w.request([gated_task("b", gate, log)])  # a later request starts a new thread
    assert w.wait(["b"], timeout=10)
    w.shutdown(timeout=10)
