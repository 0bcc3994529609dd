"""UI overhead: training images/s while the Train page refreshes vs. with no page open, in one run.

    SR_DATA_DIR=../shared/data .venv/bin/python bench/ui_overhead.py [--steps N] [--slice-s S] [--poll-s P] [--quick]

One training job, started as the Train page starts it: the app's job registry
(:func:`ui.studio.services.job_registry`) trains the ``quick`` preset (cnn-vae, batches of 100) as a background
:class:`sr_core.runs.jobs.TrainJob` with the app's torch thread count. Meanwhile the main thread alternates
slices of ``--slice-s`` seconds: ``headless`` (it sleeps: no page is open) and ``ui`` (a browser tab on
the Train page: ``streamlit.testing.v1.AppTest`` reruns the app's registered Train page every ``--poll-s``
seconds against the same registry: job snapshot, status, both loss figures serialised by
``st.plotly_chart``, the SR-preview PNG, holding the GIL against the training thread as the server
does). The default poll, 3 s, is the page's chart refresh: a full rerun does one chart and one status
refresh plus the settings form, where the page itself adds two cheap status refreshes instead;
``--poll-s 1`` redraws everything every second, the worst case. The websocket and the browser are not
included (``tests/e2e/test_walk_*.py`` drives those). Load from other processes falls on both modes alike.

A step's time is the gap since the previous step ended (an ``on_step`` callback on the job's trainer
notes the ends), counted in the slice that holds both ends; evaluations and checkpoints lie beyond the
run; the first slice pair is a warm-up and is dropped. ``ui_img_s`` / ``headless_img_s`` are medians
over slices, ``ratio`` = ui / headless (target >= 0.9). The last stdout line is one JSON object::

    {"ui_img_s": ..., "headless_img_s": ..., "ratio": ..., "meta": {...}}
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from bench._common import ROOT, fashion_mnist_dir, fill_defaults, json_line, log

TARGET = 0.9
FOREVER = 10 ** 7  # steps / eval / checkpoint interval: the benchmark stops the job itself
DEFAULTS = dict(steps=600, slice_s=3.0, poll_s=3.0, eval_limit=1000)
QUICK = dict(steps=12, slice_s=1.0, poll_s=0.5, eval_limit=200)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, help=f"timed steps per mode after the warm-up (default {DEFAULTS['steps']})")
    p.add_argument("--slice-s", type=float, help=f"seconds per turn of each mode (default {DEFAULTS['slice_s']:g})")
    p.add_argument("--poll-s", type=float, help=f"seconds between page reruns (default {DEFAULTS['poll_s']:g})")
    p.add_argument("--preset", default="quick", help="training preset (default quick)")
    p.add_argument("--eval-limit", type=int, help="test images in the untimed first evaluation")
    p.add_argument("--data-dir", help="data root (default $SR_DATA_DIR or ./data)")
    p.add_argument("--quick", action="store_true", help="a few steps in short slices: a smoke test")
    args = p.parse_args(argv)
    fill_defaults(args, QUICK if args.quick else DEFAULTS)
    if args.steps < 1 or args.slice_s <= 0 or args.poll_s <= 0:
        p.error("need --steps >= 1, --slice-s > 0, --poll-s > 0")
    return args


def ui_slice(at: Any, seconds: float, poll_s: float, ms: list[float]) -> None:
    """Rerun the page every ``poll_s`` seconds for ``seconds`` (a rerun longer than that skips ahead)."""
    t0 = time.perf_counter()
    due = t0
    while (now := time.perf_counter()) < t0 + seconds:
        if now >= due:
            at.run()
            ms.append((time.perf_counter() - now) * 1000)
            while due <= time.perf_counter():
                due += poll_s
        time.sleep(max(0.0, min(due, t0 + seconds) - time.perf_counter()))


def slice_rates(ends: list[float], slices: list[tuple[str, float, float]], batch: int) -> list[tuple[float, int, float]]:
    """Per slice (images/s, steps, seconds) from the step end times; a step counts where both its ends fall."""
    out = []
    for _, start, stop in slices:
        inside = [t for t in ends if start <= t <= stop]
        steps, seconds = max(len(inside) - 1, 0), (inside[-1] - inside[0]) if len(inside) > 1 else 0.0
        out.append((steps * batch / seconds if seconds > 0 else 0.0, steps, seconds))
    return out


def measure(args: argparse.Namespace, registry: Any, cfg: Any, data_dir: Path) -> dict[str, Any]:
    """Start the job, alternate headless and UI slices until both have ``args.steps`` timed steps."""
    from streamlit.testing.v1 import AppTest

    from ui.studio.widgets import PAGES

    ends: list[float] = []
    slices: list[tuple[str, float, float]] = []
    ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="ui_overhead-") as runs_dir:
        job = registry.start(cfg, name="ui-overhead", runs_dir=runs_dir, data_dir=str(data_dir))
        job.trainer.add_callback("on_step", lambda trainer, row: ends.append(time.perf_counter()))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page(PAGES["train"])  # through the app's page registry, as its navigation does
        at.run()  # the first run pays one-time costs (imports, caches); also waits for step 1
        while not ends:
            time.sleep(0.05)
        try:
            while True:
                for kind in ("headless", "ui"):
                    start = time.perf_counter()
                    ui_slice(at, args.slice_s, args.poll_s, ms) if kind == "ui" else time.sleep(args.slice_s)
                    slices.append((kind, start, time.perf_counter()))
                snap = registry.snapshot()
                if not snap.running:
                    raise RuntimeError(f"the job ended with status {snap.status}: {snap.error or snap.message}")
                counted = slice_rates(ends, slices[2:], cfg.batch_size)  # pair 0 is the warm-up
                if len(counted) >= 2 and min(sum(r[1] for r in counted[k::2]) for k in (0, 1)) >= args.steps:
                    break
        finally:
            registry.shutdown()
    return {"rates": slice_rates(ends, slices[2:], cfg.batch_size), "ms": ms}


def report(raw: dict[str, Any], args: argparse.Namespace, cfg: Any, threads: int) -> dict[str, Any]:
    """The table on stdout and the JSON report."""
    rates, ms = raw["rates"], raw["ms"]
    pairs = [(h, u) for h, u in zip(rates[0::2], rates[1::2]) if h[1] and u[1]]
    if not pairs:
        raise RuntimeError("no complete slice pair was measured; raise --steps or --slice-s")
    med_h, med_u = (statistics.median(p[k][0] for p in pairs) for k in (0, 1))
    pair_ratios = [u[0] / h[0] for h, u in pairs]
    overall = [sum(p[k][1] for p in pairs) * cfg.batch_size / sum(p[k][2] for p in pairs) for k in (0, 1)]
    print(f"{'pair':<5} {'headless img/s':>14} {'steps':>6} {'ui img/s':>9} {'steps':>6} {'ui/head':>8}")
    for i, (h, u) in enumerate(pairs, start=1):
        print(f"{i:<5} {h[0]:>14.0f} {h[1]:>6} {u[0]:>9.0f} {u[1]:>6} {u[0] / h[0]:>8.3f}")
    print(f"page rerun every {args.poll_s:g} s: {len(ms)} reruns, median {statistics.median(ms):.0f} ms, "
          f"max {max(ms):.0f} ms")
    ratio = med_u / med_h
    print(f"median over {len(pairs)} slice pairs: ui {med_u:.0f} img/s, headless {med_h:.0f} img/s, ratio "
          f"{ratio:.3f} (target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'})")
    meta = {
        "target": TARGET, "target_met": ratio >= TARGET,
        "ratio_median_of_pairs": round(statistics.median(pair_ratios), 4),
        "ratio_overall": round(overall[1] / overall[0], 4),
        "ui_img_s_overall": round(overall[1], 1), "headless_img_s_overall": round(overall[0], 1),
        "preset": args.preset, "model": cfg.model, "batch_size": cfg.batch_size, "device": "cpu",
        "torch_threads": threads, "cpu_count": os.cpu_count(),
        "timed_steps": {"headless": sum(h[1] for h, _ in pairs), "ui": sum(u[1] for _, u in pairs)},
        "slice_s": args.slice_s, "slice_pairs": len(pairs), "warmup_pairs": 1,
        "poll_mode": "page", "poll_error": "",
        "refresh": {"page": {"period_s": args.poll_s, "calls": len(ms), "ms_median": round(statistics.median(ms), 1),
                             "ms_max": round(max(ms), 1)}},
        "poll_ms_median": round(statistics.median(ms), 1),
        "headless_img_s_slices": [round(h[0], 1) for h, _ in pairs],
        "ui_img_s_slices": [round(u[0], 1) for _, u in pairs],
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
    return {"ui_img_s": round(med_u, 1), "headless_img_s": round(med_h, 1), "ratio": round(ratio, 4), "meta": meta}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from sr_core.presets import preset_config
    from ui.studio.services import job_registry

    t_start = time.perf_counter()
    data_dir = fashion_mnist_dir(args.data_dir)
    cfg = preset_config(args.preset, steps=FOREVER, eval_every=FOREVER, checkpoint_every=FOREVER,
                        eval_limit=args.eval_limit, device="cpu")
    old_threads, old_data = torch.get_num_threads(), os.environ.get("SR_DATA_DIR")
    os.environ["SR_DATA_DIR"] = str(data_dir)  # the page reads the data root from the environment
    registry = job_registry()
    log(f"[ui_overhead] preset {args.preset}, {registry.torch_threads} torch thread(s), {args.steps} timed steps "
        f"per mode, slices of {args.slice_s:g} s, a page rerun every {args.poll_s:g} s")
    try:
        raw = measure(args, registry, cfg, data_dir)
    finally:
        job_registry.clear()  # in-process callers (tests) get a fresh registry
        torch.set_num_threads(old_threads)
        os.environ.pop("SR_DATA_DIR") if old_data is None else os.environ.update(SR_DATA_DIR=old_data)
    result = report(raw, args, cfg, registry.torch_threads)
    result["meta"]["total_s"] = round(time.perf_counter() - t_start, 1)
    print(json_line(result), flush=True)
    return result


if __name__ == "__main__":
    main()
