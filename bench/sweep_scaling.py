"""Sweep scaling: the same 4 trials back to back in one process without Ray, then on Ray with 1 and 2 workers.

    python bench/sweep_scaling.py [--steps 300] [--eval-images 1000] [--workers 2]

Trials: tiny preset, ``--steps`` batches, grid ``lr=0.001|0.002`` x seeds 0, 1 (4 trials), each scored on
``--eval-images`` test images, one torch thread per trial everywhere. The serial loop calls the very
function a Ray trial runs (:func:`sr_core.sweeps.trial.run_trial`). Ray starts once (timed apart as
``ray_start_s``, with as many CPUs as the most workers measured); the two Ray sweeps then differ only in
``max_concurrent_trials``. Each mode writes into its own fresh runs folder. Printed: one line per
mode, then one JSON object (last line)::

    {"serial_s", "ray_1_worker_s", "ray_2_workers_s", "speedup_2", "ray_overhead", "ray_start_s", ...}

``speedup_2`` = ray_1_worker_s / ray_2_workers_s; ``ray_overhead`` = ray_1_worker_s / serial_s - 1
(Ray's cost per trial: scheduling, a worker process, loading the data in it). Targets on 2 cores:
speedup_2 >= 1.7, ray_overhead <= 0.10. The load average is printed with the result: on a shared machine
the figures are only as good as the quiet they were measured in.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def _spec(name: str, steps: int, eval_images: int):
    from sr_core.sweeps.spec import SweepSpec, parse_grid

    return SweepSpec(name=name, preset="tiny", grid=parse_grid("lr=0.001|0.002"), seeds=[0, 1],
                     base={"steps": steps, "eval_limit": 1000, "checkpoint_every": max(steps, 1)},
                     eval_limit=eval_images).validate()


def serial(root: Path, steps: int, eval_images: int, data_dir: str) -> float:
    """The 4 trials one after the other in this process (no Ray): wall seconds."""
    from sr_core.sweeps.trial import run_trial

    spec = _spec("serial", steps, eval_images)
    t0 = time.perf_counter()
    for t in spec.trials():
        out = run_trial({"spec": spec.to_dict(), "setting": t["setting"], "seed": t["seed"],
                         "runs_dir": str(root / "serial"), "data_dir": data_dir, "threads": 1})
        assert out["status"] == "finished", out
    return time.perf_counter() - t0


def on_ray(root: Path, workers: int, steps: int, eval_images: int, data_dir: str) -> float:
    from sr_core.sweeps.driver import run_sweep

    spec = _spec(f"ray{workers}", steps, eval_images)
    t0 = time.perf_counter()
    state = run_sweep(spec, runs_dir=root / f"ray{workers}", data_dir=data_dir, workers=workers)
    assert all(t["status"] == "finished" for t in state["trials"]), state["trials"]
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300, help="batches per trial (tiny preset: 50 images each)")
    p.add_argument("--eval-images", type=int, default=1000, help="test images scored per trial")
    p.add_argument("--workers", type=int, default=2, help="the most Ray workers measured (1 and this)")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    import torch

    torch.set_num_threads(1)
    from sr_core.data import load_split, resolve_data_dir
    from sr_core.sweeps.driver import _init_ray

    data_dir = str(resolve_data_dir(args.data_dir).resolve())
    load_split("fashion-mnist", train=True, data_dir=data_dir)  # the serial loop does not pay the first read
    load_split("fashion-mnist", train=False, data_dir=data_dir)
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sweep_scaling_") as tmp:
        root = Path(tmp)
        serial_s = serial(root, args.steps, args.eval_images, data_dir)
        print(f"serial (no Ray): 4 trials in {serial_s:.1f} s", flush=True)
        t0 = time.perf_counter()
        _init_ray(None, num_cpus=args.workers, num_gpus=None)
        ray_start_s = time.perf_counter() - t0
        print(f"ray.init: {ray_start_s:.1f} s", flush=True)
        ray1 = on_ray(root, 1, args.steps, args.eval_images, data_dir)
        print(f"Ray, 1 worker: {ray1:.1f} s", flush=True)
        rayn = on_ray(root, args.workers, args.steps, args.eval_images, data_dir)
        print(f"Ray, {args.workers} workers: {rayn:.1f} s", flush=True)
    import ray

    ray.shutdown()
    result = {"serial_s": round(serial_s, 2), "ray_1_worker_s": round(ray1, 2),
              f"ray_{args.workers}_workers_s": round(rayn, 2), f"speedup_{args.workers}": round(ray1 / rayn, 3),
              "ray_overhead": round(ray1 / serial_s - 1.0, 3), "ray_start_s": round(ray_start_s, 2),
              "steps": args.steps, "eval_images": args.eval_images, "cpu_count": os.cpu_count(),
              "loadavg_1min_start": round(load0, 2), "loadavg_1min_end": round(os.getloadavg()[0], 2),
              "targets": {"speedup_2": ">= 1.7", "ray_overhead": "<= 0.10"}}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
