"""Training throughput: the sr_core Trainer vs. a bare PyTorch loop vs. a torchvision DataLoader pipeline.

    SR_DATA_DIR=../shared/data .venv/bin/python bench/train_throughput.py [--steps N] [--device D] [--quick]

For the ``paper`` (cnn-vae-paper) and ``quick`` (cnn-vae) presets, batch 100, it trains the preset's
model for the same number of steps three ways and reports images/s and FLOP utilization:

1. ``trainer``: :class:`sr_core.trainer.Trainer` built from the preset's TrainConfig, no run folder
   (``checkpoint_path=None``), ``eval_every`` / ``checkpoint_every`` beyond the measured steps. It runs
   in its own thread (as :class:`sr_core.jobs.TrainJob` runs it) and its ``on_step`` callback reads the
   clock and pauses it between rounds; after the last measured step the callback calls
   ``request_stop()``. The test-set evaluation the Trainer does before its first step happens during
   the warm-up, and the one after its final step is never reached, so the clock covers exactly the
   per-step loop: batch assembly, noise re-seeding, forward, loss, the one ``.tolist()`` sync for the
   NaN check and the metric row, backward, Adam, rate/ETA bookkeeping, snapshot lock, callback dispatch.
2. ``bare``: the minimal loop over the same model (same initial weights), the same batches
   (index batches pre-computed with :func:`sr_core.data.batch_indices` and applied to the in-memory
   uint8 tensor), the same Adam, the same ``model.loss`` and alpha schedule. For a fair comparison
   it also re-seeds a noise generator every step, exactly as the Trainer does: the Trainer must do
   that (resume-exactness: the noise of step s is a pure function of (seed, s)), and the model's
   forward takes a generator anyway, so that is work the model needs, not Trainer overhead
   (it costs about 2 us a step on CPU).
3. ``dataloader``: the textbook pipeline, ``torchvision.datasets.FashionMNIST(root=SR_DATA_DIR,
   transform=ToTensor())`` + ``DataLoader(batch_size=100, shuffle=True, num_workers=0)``, LR made by
   the preset's degradation, otherwise the same step as ``bare``. Shows what the in-memory uint8
   batches buy.

Noise control (the machine is small and shared): each of the 6 (preset, method) pairs keeps one
model/optimizer/data position for the whole run. After ``--warmup`` untimed steps each, the
``--steps`` measured steps are split into ``--rounds`` rounds (default 15 rounds of 8 steps). Within
a round, for each preset, the three methods take turns every ``--interleave`` steps (default 1 on
CPU; the turn order rotates), so whatever load other processes put on the machine during the round
falls on the trainer and the bare loop alike; each round gives one images/s per method (its steps'
images / its summed step time). Each method runs in a thread of its own that is woken for its turn
(the Trainer must: its loop is paused inside a callback), so all three are scheduled alike; the
clock starts after the wake-up. ``*_img_s`` are medians over rounds; ``trainer_vs_bare`` is the
median over rounds of the per-round ratio trainer/bare (the ratio of the medians, the ratio of the
best rounds and every per-round number are in ``meta``). Taking turns means each method's step
starts with caches holding another model's weights, so absolute img/s are a little below a
long uninterrupted loop's, equally for all three. On CPU the default is one intra-op thread
(``--threads N`` to change): with two threads on a 2-core machine that other jobs also use, one
thread stalls whenever the other's core is taken and single rounds swing 2-8x (per-round
trainer/bare from 0.3 to 3, medians off by 20% and more), while one thread is steadier and no slower
there. The FLOP ceiling is measured with the same thread count, so the utilization stays comparable.

A load-blind cross-check: every turn also reads the process CPU time (only the running method's
thread is busy), so ``meta`` has images per CPU-second per method and ``trainer_vs_bare_cpu``, which
other processes' load cannot move (on an accelerator it ignores device time: read wall clock there).
And ``trainer_bare_max_weight_diff`` compares the final weights of the Trainer's and the bare loop's
models: 0.0 on CPU, i.e. the two loops did exactly the same computation.

FLOP utilization = model training FLOP/s / measured dense matmul FLOP/s on the same device and
thread count. Model FLOPs per image are counted with ``torch.utils.flop_counter.FlopCounterMode``
over one forward + loss + backward of a batch (matmuls and convolutions only; the optimizer and
elementwise ops are not counted), divided by the batch size, times images/s. The matmul ceiling is
a 0.1 s loop of 1024x1024 float32 products at the start of every round; the median is used. The
JSON's ``flop_utilization`` is the Trainer's.

The last line printed is one JSON object::

    {"paper": {"trainer_img_s", "bare_img_s", "dataloader_img_s", "trainer_vs_bare", "flop_utilization"},
     "quick": {...}, "meta": {...}}

Progress goes to stderr; the table and the JSON line go to stdout.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_PRESETS = ("paper", "quick")
METHODS = ("trainer", "bare", "dataloader")
DEFAULT_STEPS = 120   # measured steps per method and preset (split over the rounds)
DEFAULT_WARMUP = 10
DEFAULT_ROUNDS = 15
QUICK_STEPS, QUICK_WARMUP, QUICK_ROUNDS = 4, 2, 2
TARGET = 0.95


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _import_project() -> None:
    """Make ``sr_core`` and ``bench._common`` importable when run as ``python bench/train_throughput.py``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="train_throughput.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=None,
                   help=f"measured training steps per method and preset, split over the rounds "
                        f"(default {DEFAULT_STEPS}; --quick: {QUICK_STEPS})")
    p.add_argument("--warmup", type=int, default=None,
                   help=f"untimed steps per method and preset before the first round (default {DEFAULT_WARMUP}; "
                        f"--quick: {QUICK_WARMUP})")
    p.add_argument("--rounds", type=int, default=None,
                   help=f"interleaved rounds; medians over rounds are reported (default {DEFAULT_ROUNDS}; "
                        f"--quick: {QUICK_ROUNDS})")
    p.add_argument("--interleave", type=int, default=None,
                   help="within a round the methods take turns every N steps (default: 1 on CPU, where a step "
                        "is milliseconds and nothing needs draining; 10 on an accelerator, where every turn "
                        "ends with a device sync)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads (default: 1 on CPU, for steady ratios on a shared machine; "
                        "torch's default on an accelerator)")
    p.add_argument("--data-dir", default=None, help="data root (default: $SR_DATA_DIR, else ./data)")
    p.add_argument("--quick", action="store_true", help="a few steps only: a smoke test, not a measurement")
    args = p.parse_args(argv)
    args.steps = args.steps if args.steps is not None else (QUICK_STEPS if args.quick else DEFAULT_STEPS)
    args.warmup = args.warmup if args.warmup is not None else (QUICK_WARMUP if args.quick else DEFAULT_WARMUP)
    args.rounds = args.rounds if args.rounds is not None else (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    if args.warmup < 1 or args.rounds < 1:
        p.error("--warmup and --rounds must be at least 1")
    if args.steps < args.rounds:
        p.error(f"--steps must be at least --rounds ({args.rounds}): every round measures at least one step")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.interleave is not None and args.interleave < 1:
        p.error("--interleave must be at least 1")
    return args


def split_steps(steps: int, rounds: int) -> list[int]:
    """``steps`` measured steps spread over ``rounds`` rounds as evenly as possible."""
    base, extra = divmod(steps, rounds)
    return [base + (1 if r < extra else 0) for r in range(rounds)]


# ---------------------------------------------------------------- reporting

def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def format_table(result: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"device {meta['device']}  threads {meta['threads']}  torch {meta['torch']}  "
        f"{meta['steps']} measured steps per method and preset in {meta['rounds']} rounds (turns of "
        f"{meta['interleave']} step{'s' if meta['interleave'] > 1 else ''}), after {meta['warmup_steps']} warm-up steps",
        f"dense matmul ceiling (1024x1024 fp32): {meta['matmul_gflops']:.1f} GFLOP/s (median of rounds)",
        "",
        f"{'preset':<7} {'model':<14} {'method':<11} {'img/s':>10} {'vs bare':>8} {'GFLOP/s':>8} "
        f"{'FLOP util':>9}  {'img/s per CPU-s':>15}  rounds min..max",
        "-" * 118,
    ]
    for preset in BENCH_PRESETS:
        r, m = result[preset], meta["presets"][preset]
        bare = r["bare_img_s"]
        for method in METHODS:
            img_s = r[f"{method}_img_s"]
            vs = r["trainer_vs_bare"] if method == "trainer" else img_s / bare
            gflops = img_s * m["train_flops_per_image"] / 1e9
            util = gflops / meta["matmul_gflops"]
            rounds = f"{min(m['rounds_img_s'][method]):.0f}..{max(m['rounds_img_s'][method]):.0f}"
            per_cpu = m["cpu_img_per_cpu_s"][method]
            lines.append(f"{preset if method == 'trainer' else '':<7} {m['model'] if method == 'trainer' else '':<14} "
                         f"{method:<11} {img_s:>10.1f} {vs:>8.3f} {gflops:>8.2f} {util:>9.2%}  {per_cpu:>15.1f}  {rounds}")
        ok = "OK" if r["trainer_vs_bare"] >= TARGET else "BELOW TARGET"
        lines.append(f"{'':<7} {'':<14} trainer/bare {r['trainer_vs_bare']:.3f} (target >= {TARGET}: {ok}; "
                     f"best rounds {m['trainer_vs_bare_of_best']:.3f}; by CPU time {m['trainer_vs_bare_cpu']:.3f}); "
                     f"training {m['train_flops_per_image'] / 1e6:.2f} MFLOP/image")
        lines.append("")
    lines.append("img/s: median over rounds (wall clock). vs bare: trainer's is the median of per-round ratios, "
                 "the others' the ratio of medians.")
    lines.append("FLOP util: model FLOP/s / matmul FLOP/s. img/s per CPU-s: per second of this process's CPU "
                 "time, blind to the load other processes put on the machine.")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _import_project()
    import torch
    from sr_core.trainer import resolve_device

    t_start = time.perf_counter()
    try:
        device = resolve_device(args.device)
        torch.empty(1, device=device)  # fail early on a device that is not there
    except Exception as exc:
        print(f"error: device '{args.device}' is not usable here ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    if args.threads is None and device.type == "cpu":
        args.threads = 1  # see the module docstring: two threads on a shared 2-core box swing 2-8x per round
    if args.interleave is None:
        args.interleave = 1 if device.type == "cpu" else 10
    caller_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        return _run(args, device, t_start)
    finally:
        torch.set_num_threads(caller_threads)  # main() may be called in-process (tests, other benches)


def _run(args: argparse.Namespace, device: Any, t_start: float) -> int:
    import torch
    from bench._common import json_line, matmul_flops_per_s, median, rotated
    from bench._throughput_runners import (BareRunner, DataLoaderRunner, InThread, TrainerRunner,
                                           count_train_flops_per_image, prepare_case, weight_diff)
    from sr_core.data import check_dataset, load_split, resolve_data_dir
    from sr_core.errors import UserError

    data_dir = resolve_data_dir(args.data_dir)
    missing = check_dataset("fashion-mnist", data_dir)
    if missing:  # never downloads: a benchmark must not time or depend on the network
        print(f"error: Fashion-MNIST is not in {(data_dir / 'FashionMNIST' / 'raw').resolve()} (missing "
              f"{', '.join(missing)}); point --data-dir or SR_DATA_DIR at a folder with FashionMNIST/raw/",
              file=sys.stderr)
        return 2
    try:
        train = load_split("fashion-mnist", train=True, data_dir=data_dir, download=False)
        test = load_split("fashion-mnist", train=False, data_dir=data_dir, download=False)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import torchvision
    from torchvision.transforms import ToTensor

    tv_train = torchvision.datasets.FashionMNIST(root=str(data_dir), train=True, download=False,
                                                 transform=ToTensor())
    images, labels = train.images.to(device), train.labels.to(device)  # the in-memory uint8 tensor

    total = args.warmup + args.steps
    per_round = split_steps(args.steps, args.rounds)
    _log(f"train_throughput: device {device}, {torch.get_num_threads()} threads, {args.steps} measured steps "
         f"per method in {args.rounds} interleaved rounds, after {args.warmup} warm-up steps")
    cases = {p: prepare_case(p, len(train), total, device) for p in BENCH_PRESETS}
    runners: dict[str, dict[str, Any]] = {}
    for preset, case in cases.items():
        case.flops_per_image = count_train_flops_per_image(case, images, labels, device)
        runners[preset] = {"trainer": TrainerRunner(case, train, test, device, total),
                           "bare": InThread(BareRunner(case, images, labels, device), f"bench-bare-{preset}"),
                           "dataloader": InThread(DataLoaderRunner(case, tv_train, device),
                                                  f"bench-dataloader-{preset}")}
    for preset in BENCH_PRESETS:  # warm-up, untimed (the Trainer's pre-loop evaluation happens here)
        for method in METHODS:
            runners[preset][method].chunk(args.warmup)
    # Collect before every round so no round pays for the last one's garbage; freeze what exists now
    # (torch/torchvision modules: a full collection of those takes ~0.3 s) so those collections are cheap.
    gc.collect()
    gc.freeze()

    runs: dict[str, dict[str, list[float]]] = {p: {m: [] for m in METHODS} for p in BENCH_PRESETS}
    ratios: dict[str, list[float]] = {p: [] for p in BENCH_PRESETS}
    cpu_runs: dict[str, dict[str, list[float]]] = {p: {m: [] for m in METHODS} for p in BENCH_PRESETS}
    cpu_ratios: dict[str, list[float]] = {p: [] for p in BENCH_PRESETS}
    matmul: list[float] = []
    for rnd, n in enumerate(per_round):
        gc.collect()
        matmul.append(matmul_flops_per_s(device, min_time_s=0.03 if args.quick else 0.1))
        line = [f"round {rnd + 1}/{args.rounds} ({n} steps): matmul {matmul[-1] / 1e9:.1f} GFLOP/s"]
        for preset in rotated(BENCH_PRESETS, rnd):
            batch = cases[preset].cfg.batch_size
            # The three methods take turns every `interleave` steps (turn order rotated), so they share
            # whatever load the machine has during the round; each round yields one rate per method.
            wall, cpu = dict.fromkeys(METHODS, 0.0), dict.fromkeys(METHODS, 0.0)
            done, turn = 0, rnd
            while done < n:
                k = min(args.interleave, n - done)
                for method in rotated(METHODS, turn):
                    w, c = runners[preset][method].chunk(k)
                    wall[method] += w
                    cpu[method] += c
                done, turn = done + k, turn + 1
            for method in METHODS:
                runs[preset][method].append(n * batch / wall[method])
                cpu_runs[preset][method].append(n * batch / max(cpu[method], 1e-9))
                line.append(f"{preset}/{method} {runs[preset][method][-1]:.0f}")
            ratios[preset].append(runs[preset]["trainer"][-1] / runs[preset]["bare"][-1])
            cpu_ratios[preset].append(cpu["bare"] / max(cpu["trainer"], 1e-9))
        _log(", ".join(line) + " img/s")
    gc.unfreeze()
    for preset in BENCH_PRESETS:
        runners[preset]["bare"].close()
        runners[preset]["dataloader"].close()

    peak = median(matmul)
    result: dict[str, Any] = {}
    meta_presets: dict[str, Any] = {}
    for preset in BENCH_PRESETS:
        case = cases[preset]
        med = {m: median(runs[preset][m]) for m in METHODS}
        result[preset] = {
            "trainer_img_s": round(med["trainer"], 1),
            "bare_img_s": round(med["bare"], 1),
            "dataloader_img_s": round(med["dataloader"], 1),
            "trainer_vs_bare": round(median(ratios[preset]), 4),
            "flop_utilization": _sig(med["trainer"] * case.flops_per_image / peak),
        }
        meta_presets[preset] = {
            "model": case.cfg.model, "batch_size": case.cfg.batch_size, "lr": case.cfg.lr,
            "train_flops_per_image": int(case.flops_per_image),
            "rounds_img_s": {m: [round(v, 1) for v in runs[preset][m]] for m in METHODS},
            "rounds_trainer_vs_bare": [round(v, 4) for v in ratios[preset]],
            "trainer_vs_bare_of_medians": round(med["trainer"] / med["bare"], 4),
            # load from other processes only ever slows a round down: the best rounds are a second,
            # lower-variance view of the same ratio
            "trainer_vs_bare_of_best": round(max(runs[preset]["trainer"]) / max(runs[preset]["bare"]), 4),
            "dataloader_vs_bare": round(med["dataloader"] / med["bare"], 4),
            # same init, batches, noise seeds, alphas and Adam: both end with the same weights (0.0 on
            # CPU), evidence that the two loops did the same work
            # CPU-time view: images per CPU-second of this process, insensitive to time the OS gave to
            # other processes (on an accelerator it ignores device time; read the wall-clock numbers)
            "cpu_img_per_cpu_s": {m: round(median(cpu_runs[preset][m]), 1) for m in METHODS},
            "trainer_vs_bare_cpu": round(median(cpu_ratios[preset]), 4),
            "trainer_bare_max_weight_diff": weight_diff(runners[preset]["trainer"].trainer.model,
                                                        runners[preset]["bare"].inner.model),
        }
    meta = {
        "steps": args.steps, "warmup_steps": args.warmup, "rounds": args.rounds, "interleave": args.interleave,
        "quick": args.quick,
        "device": str(device), "threads": torch.get_num_threads(), "torch": torch.__version__,
        "matmul_gflops": round(peak / 1e9, 2), "matmul_gflops_rounds": [round(v / 1e9, 2) for v in matmul],
        "flop_utilization_of": "trainer", "trainer_vs_bare_rule": "median over rounds of trainer/bare",
        "target_trainer_vs_bare": TARGET, "presets": meta_presets,
        "elapsed_s": round(time.perf_counter() - t_start, 1),
    }
    print(format_table(result, meta))
    print(json_line({**result, "meta": meta}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
