"""The Latent page's set-level table is a task of the process-wide background worker (ui.background):
a second identical request is a cache hit (nothing recomputed), a newer request supersedes an older one
(its stop event is set and its partial table never reaches the cache)."""
from __future__ import annotations

import threading

import torch

from sr_core.models import build_model
from tests._synthetic import synthetic_split
from ui import latent
from ui.background import BackgroundWorker

torch.set_num_threads(1)


def _counting(monkeypatch, gate: threading.Event | None = None) -> list[int]:
    """Count latent_per_image calls (by limit); with ``gate``, the first call waits on it after a batch."""
    calls: list[int] = []
    real = latent.latent_per_image

    def wrapped(model, split, *, limit, progress, stop, **kw):
        calls.append(limit)
        first = len(calls) == 1

        def report(done: int, total: int) -> None:
            progress(done, total)
            if gate is not None and first:
                gate.wait(10)
        return real(model, split, limit=limit, progress=report, stop=stop, **{**kw, "batch_size": 8})
    monkeypatch.setattr(latent, "latent_per_image", wrapped)
    return calls


def _task(model, split, limit: int):
    return latent.latent_task(model, split, ckpt=("m", 0.0, 1), label="cnn-vae", dataset="synthetic",
                              limit=limit, degradation="box")


def test_latent_table_is_cached_by_the_shared_worker(monkeypatch):
    calls = _counting(monkeypatch)
    model, split = build_model("cnn-vae", seed=0).eval(), synthetic_split(24, train=False)
    w = BackgroundWorker(torch_threads=1)
    try:
        task = _task(model, split, 20)
        w.request([task], "latent:a")
        assert w.wait([task.key], timeout=30)
        table = w.lookup(task.key)
        assert table["n_images"] == 20 and "mu_lr_psnr" in table and calls == [20]
        again = _task(model, split, 20)  # a rerun of the page builds an equal task: same key
        assert again.key == task.key
        w.request([again], "latent:b")
        assert w.wait([again.key], timeout=5) and w.lookup(again.key) is table and calls == [20]
    finally:
        w.shutdown()


def test_a_newer_latent_request_supersedes_the_older(monkeypatch):
    gate = threading.Event()
    calls = _counting(monkeypatch, gate)
    model, split = build_model("cnn-vae", seed=0).eval(), synthetic_split(24, train=False)
    w = BackgroundWorker(torch_threads=1)
    try:
        old, new = _task(model, split, 24), _task(model, split, 16)
        w.request([old], "latent:a")
        for _ in range(200):  # the old task is running (held after its first batch)
            if w.status([old.key]).done:
                break
            threading.Event().wait(0.05)
        assert w.status([old.key]).done == 8
        w.request([new], "latent:a")  # the same page asks for another N: newest wins
        gate.set()
        assert w.wait([new.key], timeout=30)
        assert w.lookup(new.key)["n_images"] == 16
        assert w.lookup(old.key) is None and w.error(old.key) is None  # its partial table was dropped
        assert calls == [24, 16]
    finally:
        w.shutdown()
