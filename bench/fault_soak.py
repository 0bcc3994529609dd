"""Fault soak: a training killed at random moments (SIGKILL, SIGTERM, SIGINT mixed) and resumed each
time ends exactly where the uninterrupted run of the same seed ends.

Both runs use the CLI (``python -m sr_core train``), the tiny preset with a checkpoint every batch,
one torch thread. A fifth of the kills land at a uniform random time during start-up; the others
wait until the process trains (its checkpoint file changes) and land at a uniform random time within
the next ``--window`` batches, so kills hit start-up, steps, evaluations and checkpoint writes alike. After each kill the run is
resumed (``--resume``); the soak ends after ``--kills`` kills and one last resume that finishes.

Last line, one JSON object:
``{"kills", "lost_rows", "duplicate_rows", "weight_maxdiff", "leftover_tmp", "stuck_running"}``:
reference (split, step) rows missing from the soaked metrics.csv, (split, step) rows present more
than once, max |w_soak - w_ref| over the final checkpoints' weights and Adam state, temp files left
in the run folder, and 1 if the run does not end "finished". Target: all 0 but ``kills``.

    nice python bench/fault_soak.py --kills 50
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)


def train_cmd(runs: Path, name: str, args: argparse.Namespace, resume: bool) -> list[str]:
    base = [sys.executable, "-m", "sr_core", "train", "--runs-dir", str(runs), "--no-progress"]
    if resume:
        return base + ["--resume", name]
    return base + ["--preset", "tiny", "--name", name, "--seed", str(args.seed), "--steps", str(args.steps),
                   "--checkpoint-every", "1", "--eval-every", "20", "--eval-limit", "200", "--device", "cpu"]


def env() -> dict[str, str]:
    e = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    e.pop("SR_RUNS_DIR", None)
    return e


def reference(runs: Path, args: argparse.Namespace) -> tuple[float, float]:
    """Train the uninterrupted run; returns (start-up seconds, seconds per batch) measured on it."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(train_cmd(runs, "ref", args, False), cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = None
    while proc.poll() is None:
        if first is None and (runs / "ref" / "checkpoint.pt").exists():
            first = time.perf_counter() - t0
        time.sleep(0.01)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"reference run failed: {proc.stderr.read()}")
    first = first or total / 2
    return first, max((total - first) / args.steps, 1e-3)


def wait_until_training(run: Path, started: float, proc: subprocess.Popen) -> None:
    """Until this process has written a checkpoint (it writes one per batch) or has ended."""
    ckpt = run / "checkpoint.pt"
    while proc.poll() is None:
        try:
            if ckpt.stat().st_mtime > started:
                return
        except OSError:
            pass
        time.sleep(0.01)


def soak(runs: Path, args: argparse.Namespace, startup_s: float, step_s: float) -> dict[str, int]:
    rng = random.Random(args.seed)
    counts = {s.name: 0 for s in SIGNALS}
    kills, resume = 0, False
    while True:
        started = time.time()
        proc = subprocess.Popen(train_cmd(runs, "soak", args, resume), cwd=ROOT, env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        resume = True
        if kills < args.kills:
            if rng.random() < args.startup_share:
                time.sleep(rng.uniform(0.0, startup_s))
            else:
                wait_until_training(runs / "soak", started, proc)
                time.sleep(rng.uniform(0.0, args.window * step_s))
            if proc.poll() is None:
                sig = rng.choice(SIGNALS)
                proc.send_signal(sig)
                kills += 1
                counts[sig.name] += 1
        _, err = proc.communicate(timeout=600)
        if proc.returncode == 0 and kills >= args.kills:
            return counts
        if proc.returncode == 0:  # finished before the kill: extend it (resume applies --steps)
            raise SystemExit(f"the run finished after {kills} kills; raise --steps")
        if proc.returncode == 2:
            raise SystemExit(f"resume refused: {err.strip()}")
        print(f"kill {kills}: exit {proc.returncode}; {err.strip().splitlines()[-1] if err.strip() else ''}",
              file=sys.stderr)


def compare(runs: Path) -> dict[str, float]:
    import torch

    from sr_core.checkpoint import load_checkpoint
    from sr_core.runs.store import RunDir
    from sr_core.runs.listing import list_runs

    ref, got = RunDir(runs / "ref"), RunDir(runs / "soak")
    ref_keys = [(r["split"], r["step"]) for r in ref.read_metrics()]
    got_rows = got.read_metrics()
    got_keys = [(r["split"], r["step"]) for r in got_rows]
    lost = len(set(ref_keys) - set(got_keys))
    dup = len(got_keys) - len(set(got_keys))
    by_key = {(r["split"], r["step"]): r for r in ref.read_metrics()}
    loss_diff = max((abs(r["total"] - by_key[(r["split"], r["step"])]["total"]) for r in got_rows
                     if (r["split"], r["step"]) in by_key), default=0.0)
    a, b = load_checkpoint(ref.checkpoint_path), load_checkpoint(got.checkpoint_path)
    diff = max(float((a["model_state"][k] - b["model_state"][k]).abs().max()) for k in a["model_state"])
    for sa, sb in zip(a["optimizer_state"]["state"].values(), b["optimizer_state"]["state"].values()):
        for k in ("exp_avg", "exp_avg_sq", "step"):
            diff = max(diff, float((torch.as_tensor(sa[k]) - torch.as_tensor(sb[k])).abs().max()))
    tmp = len(list(got.path.glob("*.tmp")) + list(got.path.glob(".*.tmp")))
    row = {r["name"]: r for r in list_runs(runs)}["soak"]
    print(f"loss rows compared: {len(got_rows)}, max |loss diff| {loss_diff:.3g}; final status {row['status']}",
          file=sys.stderr)
    return {"lost_rows": lost, "duplicate_rows": dup, "weight_maxdiff": diff, "leftover_tmp": tmp,
            "stuck_running": int(row["status"] != "finished" or got.status().get("step") != a["step"])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=50)
    p.add_argument("--steps", type=int, default=400, help="batches of the run (enough to outlast the kills)")
    p.add_argument("--window", type=float, default=8.0, help="kill window once training, in batches")
    p.add_argument("--startup-share", type=float, default=0.2, help="share of kills aimed at start-up")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp)
        t0 = time.perf_counter()
        startup_s, step_s = reference(runs, args)
        print(f"reference: start-up {startup_s:.2f} s, {step_s * 1000:.0f} ms per batch", file=sys.stderr)
        counts = soak(runs, args, startup_s, step_s)
        print(f"signals: {counts}; wall {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        out = {"kills": sum(counts.values()), **compare(runs)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
