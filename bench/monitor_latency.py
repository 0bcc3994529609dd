"""How fast the training monitor stays on long runs, and what the monitor costs the trainer.

1. Runs page (its Monitor section and the overlay chart) on a synthetic run of 1k, 20k and 200k metrics
   rows (train rows + a test row with quality columns every 100 steps + a 64-entry preview history),
   through AppTest: ``first_s`` (cold: the whole file parsed), ``refresh_s`` (median of 3 reruns: only
   new rows are read) and ``bytes`` (element messages + image PNGs of one run).
2. Train page attached to a live job whose curve already holds N rows (a continued run's history),
   same measures, while the job trains in its thread.
3. Trainer images/s with the monitor (quality columns + preview history) on vs off: the ``quick``
   preset's model and evaluation (test loss on 10k images every 100 batches), ``--steps`` batches,
   one torch thread, alternating on/off runs, best of ``--repeats``.

Targets (issue 19): refresh <= 0.5 s and < 2x growth from 1k to 200k rows; images/s ratio >= 0.95.
Usage: ``python bench/monitor_latency.py [--sizes 1000,20000,200000] [--steps 300] [--repeats 2]``;
the last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

from bench._common import fashion_mnist_dir, json_line, log  # noqa: E402


def _refresh(at: Any, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _measure(at: Any, page: str) -> dict[str, Any]:
    """The first run of an opened page (it parses the whole metrics file), the median refresh after it,
    and the bytes sent; a page exception ends the bench with its message."""
    from ui.studio.bench_support import sent_bytes

    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    if at.exception:
        raise RuntimeError(f"{page} page failed: {at.exception[0].value}")
    return {"first_s": round(first, 3), "refresh_s": round(_refresh(at), 3), "bytes": sent_bytes(at)}


def bench_runs_page(sizes: list[int], tmp: Path) -> dict[str, Any]:
    from ui.studio.bench_support import open_page, synthetic_run

    out = {}
    for n in sizes:
        root = tmp / f"runs-{n}"
        synthetic_run(root, f"long-{n}", n)
        os.environ["SR_RUNS_DIR"] = str(root)
        at = open_page("runs")
        at.session_state["runs_monitor_run"] = f"long-{n}"
        out[str(n)] = _measure(at, "Runs")
        log(f"runs page, {n} rows: {out[str(n)]}")
    return out


def bench_train_page(sizes: list[int], tmp: Path, data_dir: Path) -> dict[str, Any]:
    from sr_core.presets import preset_config
    from sr_core.runs.jobs import start_job
    from ui.studio.bench_support import open_page
    from ui.studio.services import job_registry

    out = {}
    for n in sizes:
        os.environ["SR_RUNS_DIR"] = str(tmp / f"train-{n}")
        cfg = preset_config("tiny", steps=10**7, eval_every=500, eval_limit=200, checkpoint_every=10**6)
        registry = job_registry()
        registry._launch(start_job(cfg, name=f"live-{n}", data_dir=data_dir, torch_threads=registry.torch_threads))
        registry._history = ([{"step": s - n, "split": "train", "total": 0.5 + 1e-6 * (s % 97), "recon": 0.4,
                               "latent": 0.6, "kl": 0.5, "alpha": 0.75} for s in range(n)],
                             [{"step": s - n, "split": "test", "total": 0.5, "recon": 0.4, "latent": 0.6,
                               "alpha": 0.75, "sr_psnr": 20.0, "bicubic_psnr": 21.0} for s in range(0, n, 100)])
        try:
            out[str(n)] = _measure(open_page("train"), "Train")
        finally:
            registry.shutdown()
            job_registry.clear()
        log(f"train page (live), {n} rows: {out[str(n)]}")
    return out


def bench_trainer(steps: int, repeats: int, tmp: Path, data_dir: Path) -> dict[str, Any]:
    import torch

    from sr_core.presets import preset_config
    from sr_core.runs.jobs import prepare_run

    torch.set_num_threads(1)
    rates: dict[bool, list[float]] = {True: [], False: []}
    for i in range(repeats):
        for monitor in (False, True):
            cfg = preset_config("quick", steps=steps, device="cpu", checkpoint_every=10**6)
            trainer, _ = prepare_run(cfg, runs_dir=tmp / "trainer", name=f"t{i}-{monitor}", data_dir=data_dir,
                                     monitor=monitor)
            t = time.perf_counter()
            trainer.run()
            rates[monitor].append(steps * cfg.batch_size / (time.perf_counter() - t))
            log(f"trainer monitor={monitor}: {rates[monitor][-1]:.0f} images/s")
    on, off = max(rates[True]), max(rates[False])
    return {"img_s_on": round(on, 1), "img_s_off": round(off, 1), "ratio": round(on / off, 3), "steps": steps,
            "protocol": "quick preset, test loss on 10k images every 100 batches, 1 torch thread, best of "
                        f"{repeats} alternating runs, evaluations included"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,20000,200000")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--data-dir")
    p.add_argument("--skip-trainer", action="store_true")
    p.add_argument("--only", choices=("runs", "train", "trainer"), help="one part only (development)")
    args = p.parse_args(argv)
    data_dir = fashion_mnist_dir(args.data_dir)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        part = lambda name: args.only in (None, name)  # noqa: E731
        runs = bench_runs_page(sizes, tmp) if part("runs") else None
        train = bench_train_page(sizes, tmp, data_dir) if part("train") else None
        trainer = bench_trainer(args.steps, args.repeats, tmp, data_dir) \
            if part("trainer") and not args.skip_trainer else None
    lo, hi = str(sizes[0]), str(sizes[-1])
    growth = {k: round(v[hi]["refresh_s"] / max(v[lo]["refresh_s"], 1e-9), 2)
              for k, v in (("runs", runs), ("train", train)) if v}
    result = {"runs_page": runs, "train_page": train, "refresh_growth": growth, "trainer": trainer,
              "targets": {"refresh_s": 0.5, "growth": 2.0, "img_s_ratio": 0.95}}
    print(json_line(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
