"""What a seed fixes across torch thread counts: the tiny preset (seed 0) trained twice with 1 thread
and once with each other count; reports the largest loss and weight differences against the first run.

Last line, one JSON object: ``{"same_threads_loss_maxdiff", "same_threads_weight_maxdiff",
"threads": {N: {"loss_maxdiff", "weight_maxdiff"}}}``. Same thread count: expected 0 (bit-identical).

    nice python bench/thread_repro.py --threads 1,2
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(root: Path, name: str, threads: int, steps: int) -> tuple[list[float], dict]:
    import torch

    from sr_core.checkpoint import load_checkpoint
    from sr_core.presets import preset_config
    from sr_core.runs.jobs import prepare_run

    torch.set_num_threads(threads)
    trainer, run = prepare_run(preset_config("tiny", steps=steps, device="cpu", seed=0), runs_dir=root, name=name)
    assert trainer.run() == "finished"
    return [r["total"] for r in run.read_metrics()], load_checkpoint(run.checkpoint_path)["model_state"]


def diff(a: tuple[list[float], dict], b: tuple[list[float], dict]) -> tuple[float, float]:
    loss = max(abs(x - y) for x, y in zip(a[0], b[0]))
    weight = max(float((a[1][k] - b[1][k]).abs().max()) for k in a[1])
    return loss, weight


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts; the first is the reference")
    p.add_argument("--steps", type=int, default=60)
    args = p.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ref = run_once(root, "ref", counts[0], args.steps)
        again = run_once(root, "again", counts[0], args.steps)
        same = diff(ref, again)
        out = {"same_threads_loss_maxdiff": same[0], "same_threads_weight_maxdiff": same[1], "threads": {}}
        for t in counts[1:]:
            d = diff(ref, run_once(root, f"t{t}", t, args.steps))
            out["threads"][str(t)] = {"loss_maxdiff": d[0], "weight_maxdiff": d[1]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
