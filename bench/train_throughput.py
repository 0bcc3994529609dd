"""Training throughput: the sr_core Trainer vs. a bare PyTorch loop vs. a torchvision DataLoader pipeline.

    SR_DATA_DIR=../shared/data .venv/bin/python bench/train_throughput.py [--steps N] [--device D] [--quick]

For the ``paper`` (cnn-vae-paper) and ``quick`` (cnn-vae) presets, batch 100, it trains the preset's
model for the same number of steps three ways and reports images/s and FLOP utilization:

1. ``trainer``: :class:`sr_core.trainer.Trainer` built from the preset's TrainConfig, no run folder
   (``checkpoint_path=None``), ``eval_every`` / ``checkpoint_every`` beyond the measured steps. The
   clock is read by an ``on_step`` callback after the warm-up steps and after the last measured step;
   that callback then calls ``request_stop()``, so the test-set evaluation the Trainer does before its
   first step (and would do after its last) is outside the measurement. The measurement therefore
   covers the whole per-step loop: batch assembly, noise re-seeding, forward, loss, the one
   ``.tolist()`` sync for the NaN check and the metric row, backward, Adam, bookkeeping, snapshot
   lock and callback dispatch.
2. ``bare``: the minimal loop over the same model (same initial weights), the same batches
   (index batches pre-computed with :func:`sr_core.data.batch_indices` and applied to the in-memory
   uint8 tensor), the same Adam, the same ``model.loss`` and alpha schedule. For a fair comparison
   it also re-seeds a noise generator every step, exactly as the Trainer does: the Trainer must do
   that (resume-exactness: the noise of step s is a pure function of (seed, s)), and the model's
   forward needs a generator anyway, so that is work the model needs, not Trainer overhead.
3. ``dataloader``: the textbook pipeline, ``torchvision.datasets.FashionMNIST(root=SR_DATA_DIR,
   transform=ToTensor())`` + ``DataLoader(batch_size=100, shuffle=True, num_workers=0)``, LR made by
   the preset's degradation, otherwise the same step as ``bare``. Shows what the in-memory
   uint8 batches buy.

Noise control (the machine is shared and small): every measurement is warmed up first, and the
three methods x two presets are interleaved over ``--rounds`` rounds (default 3) with the order
rotated each round. ``*_img_s`` are medians over rounds; ``trainer_vs_bare`` is the median over
rounds of the per-round ratio trainer/bare (the two run back to back, so the ratio cancels slow
drifts in machine load; the ratio of the medians is in ``meta``).

FLOP utilization = model training FLOPs/s / measured dense matmul FLOP/s on the same device and
thread count. Model FLOPs per image are counted with ``torch.utils.flop_counter.FlopCounterMode``
over one forward + loss + backward of a batch (matmuls and convolutions only; the optimizer and
elementwise ops are not counted), divided by the batch size, times images/s. The matmul ceiling is a
loop of 1024x1024 float32 products, measured once per round; its median is used. The JSON's
``flop_utilization`` is the Trainer's.

The last line printed is one JSON object::

    {"paper": {"trainer_img_s", "bare_img_s", "dataloader_img_s", "trainer_vs_bare", "flop_utilization"},
     "quick": {...}, "meta": {...}}

Progress goes to stderr; the table and the JSON line go to stdout.
"""
from __future__ import annotations

import argparse
import copy
import gc
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_PRESETS = ("paper", "quick")
METHODS = ("trainer", "bare", "dataloader")
DEFAULT_STEPS = 200
DEFAULT_WARMUP = 15
DEFAULT_ROUNDS = 3
QUICK_STEPS, QUICK_WARMUP, QUICK_ROUNDS = 4, 2, 2
TRAINER_EVAL_LIMIT = 1000  # the Trainer's one pre-loop evaluation (outside the clock) on 1,000 test images
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
                   help=f"measured training steps per method, preset and round (default {DEFAULT_STEPS}; "
                        f"--quick: {QUICK_STEPS})")
    p.add_argument("--warmup", type=int, default=None,
                   help=f"untimed steps before each measurement (default {DEFAULT_WARMUP}; --quick: {QUICK_WARMUP})")
    p.add_argument("--rounds", type=int, default=None,
                   help=f"interleaved rounds; medians are reported (default {DEFAULT_ROUNDS}; --quick: {QUICK_ROUNDS})")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N) (default: torch's default)")
    p.add_argument("--data-dir", default=None, help="data root (default: $SR_DATA_DIR, else ./data)")
    p.add_argument("--quick", action="store_true", help="a few steps only: a smoke test, not a measurement")
    args = p.parse_args(argv)
    args.steps = args.steps if args.steps is not None else (QUICK_STEPS if args.quick else DEFAULT_STEPS)
    args.warmup = args.warmup if args.warmup is not None else (QUICK_WARMUP if args.quick else DEFAULT_WARMUP)
    args.rounds = args.rounds if args.rounds is not None else (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    if args.steps < 1 or args.warmup < 1 or args.rounds < 1:
        p.error("--steps, --warmup and --rounds must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    return args


@dataclass
class Case:
    """One preset, prepared once and shared by every round and method."""

    preset: str
    cfg: Any                    # the preset's TrainConfig, bench overrides applied
    init_state: dict[str, Any]  # initial weights: every method starts from the same model
    idx_batches: list[Any]      # (B,) int64 index tensors on the device, steps 0 .. warmup+steps-1
    alphas: list[float]         # alpha of each step, from the preset's schedule
    flops_per_image: float = 0.0


def new_model(case: Case, device: Any) -> Any:
    from sr_core.models import build_model

    model = build_model(case.cfg.model, case.cfg.model_config)
    model.load_state_dict(case.init_state)
    return model.to(device)


def prepare_case(preset: str, n_train: int, total_steps: int, device: Any) -> Case:
    import torch
    from sr_core.config import preset_config
    from sr_core.data import batch_indices
    from sr_core.losses import alpha_at
    from sr_core.models import build_model

    beyond = total_steps + 2
    # steps = total + 1: the on_step callback stops the Trainer after step `total`, before the
    # evaluation the Trainer runs after its final step. eval/checkpoint intervals lie beyond the run.
    cfg = preset_config(preset, steps=total_steps + 1, eval_every=beyond, checkpoint_every=beyond,
                        eval_limit=TRAINER_EVAL_LIMIT, device="cpu" if device.type == "cpu" else str(device))
    cfg.validate()
    torch.manual_seed(cfg.seed)
    init_state = copy.deepcopy(build_model(cfg.model, cfg.model_config).state_dict())
    idx = [batch_indices(n_train, cfg.batch_size, s, cfg.seed).to(device) for s in range(total_steps)]
    alphas = [alpha_at(s, cfg.alpha_schedule) for s in range(total_steps)]
    return Case(preset, cfg, init_state, idx, alphas)


def count_train_flops_per_image(case: Case, images: Any, labels: Any, device: Any) -> float:
    """Matmul/conv FLOPs of one forward + loss + backward of one batch, per image."""
    import torch
    from bench._common import count_flops
    from sr_core.data import get_degradation

    cfg = case.cfg
    model = new_model(case, device).train()
    degrade = get_degradation(cfg.degradation)
    idx = case.idx_batches[0]
    hr = images[idx].unsqueeze(1).float().div_(255.0)
    lr = degrade(hr)
    y = labels[idx]
    gen = torch.Generator(device=device).manual_seed(cfg.seed * 1_000_003)

    def step() -> None:
        out = model(hr, lr=lr, labels=y, generator=gen)
        model.loss(out, hr, lr, alpha=case.alphas[0], kl_weight=cfg.kl_weight, labels=y)["total"].backward()

    return count_flops(step) / hr.shape[0]


# ---------------------------------------------------------------- the three measurements
# Each returns images/s over `steps` steps after `warmup` untimed steps.

def measure_trainer(case: Case, train: Any, test: Any, steps: int, warmup: int, device: Any) -> float:
    from bench._common import sync
    from sr_core.trainer import Trainer

    trainer = Trainer(new_model(case, device), case.cfg, train, test, checkpoint_path=None, device=device)
    marks: dict[str, float] = {}
    end = warmup + steps

    def on_step(tr: Trainer, row: dict[str, Any]) -> None:
        if tr.step == warmup:
            sync(device)
            marks["t0"] = time.perf_counter()
        elif tr.step == end:
            sync(device)
            marks["t1"] = time.perf_counter()
            tr.request_stop()  # stop before the next batch: no final evaluation

    trainer.add_callback("on_step", on_step)
    gc.collect()
    status = trainer.run()
    if status != "stopped" or "t1" not in marks:
        raise RuntimeError(f"{case.preset}: trainer ended with status '{status}' at step {trainer.step} "
                           f"({trainer.snapshot()['message']})")
    return steps * case.cfg.batch_size / (marks["t1"] - marks["t0"])


def measure_bare(case: Case, images: Any, labels: Any, steps: int, warmup: int, device: Any) -> float:
    import torch
    from bench._common import sync
    from sr_core.data import get_degradation

    cfg = case.cfg
    model = new_model(case, device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    degrade = get_degradation(cfg.degradation)
    gen = torch.Generator(device=device)
    idx_batches, alphas, kl_weight = case.idx_batches, case.alphas, cfg.kl_weight
    seed_base = cfg.seed * 1_000_003

    def run(first: int, last: int) -> None:
        for s in range(first, last):
            idx = idx_batches[s]
            hr = images[idx].unsqueeze(1).float().div_(255.0)  # (B, 1, 28, 28)
            lr = degrade(hr)                                     # (B, 1, 14, 14)
            y = labels[idx]
            gen.manual_seed(seed_base + s)  # the same per-step re-seed as the Trainer (see module doc)
            out = model(hr, lr=lr, labels=y, generator=gen)
            loss = model.loss(out, hr, lr, alpha=alphas[s], kl_weight=kl_weight, labels=y)["total"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    run(0, warmup)
    gc.collect()
    sync(device)
    t0 = time.perf_counter()
    run(warmup, warmup + steps)
    sync(device)
    return steps * cfg.batch_size / (time.perf_counter() - t0)


def measure_dataloader(case: Case, dataset: Any, steps: int, warmup: int, device: Any) -> float:
    import torch
    from torch.utils.data import DataLoader
    from bench._common import sync
    from sr_core.data import get_degradation

    cfg = case.cfg
    model = new_model(case, device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    degrade = get_degradation(cfg.degradation)
    gen = torch.Generator(device=device)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, num_workers=0, drop_last=True,
                        generator=torch.Generator().manual_seed(cfg.seed))
    batches = iter(loader)
    alphas, kl_weight = case.alphas, cfg.kl_weight
    seed_base = cfg.seed * 1_000_003

    def run(first: int, last: int) -> None:
        nonlocal batches
        for s in range(first, last):
            try:
                x, y = next(batches)
            except StopIteration:  # a new epoch
                batches = iter(loader)
                x, y = next(batches)
            hr = x.to(device, non_blocking=True)  # (B, 1, 28, 28) float in [0, 1] from ToTensor
            y = y.to(device, non_blocking=True)
            lr = degrade(hr)
            gen.manual_seed(seed_base + s)
            out = model(hr, lr=lr, labels=y, generator=gen)
            loss = model.loss(out, hr, lr, alpha=alphas[s], kl_weight=kl_weight, labels=y)["total"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    run(0, warmup)
    gc.collect()
    sync(device)
    t0 = time.perf_counter()
    run(warmup, warmup + steps)
    sync(device)
    return steps * cfg.batch_size / (time.perf_counter() - t0)


# ---------------------------------------------------------------- reporting

def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def format_table(result: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"device {meta['device']}  threads {meta['threads']}  torch {meta['torch']}  "
        f"steps {meta['steps']} (+{meta['warmup_steps']} warm-up) x {meta['rounds']} interleaved rounds",
        f"dense matmul ceiling (1024x1024 fp32): {meta['matmul_gflops']:.1f} GFLOP/s (median of rounds)",
        "",
        f"{'preset':<7} {'model':<14} {'method':<11} {'img/s':>10} {'vs bare':>8} {'GFLOP/s':>8} "
        f"{'FLOP util':>9}  rounds (img/s)",
        "-" * 100,
    ]
    for preset in BENCH_PRESETS:
        r, m = result[preset], meta["presets"][preset]
        bare = r["bare_img_s"]
        for method in METHODS:
            img_s = r[f"{method}_img_s"]
            vs = r["trainer_vs_bare"] if method == "trainer" else img_s / bare
            gflops = img_s * m["train_flops_per_image"] / 1e9
            util = gflops / meta["matmul_gflops"]
            rounds = ", ".join(f"{v:.0f}" for v in m["rounds_img_s"][method])
            lines.append(f"{preset if method == 'trainer' else '':<7} {m['model'] if method == 'trainer' else '':<14} "
                         f"{method:<11} {img_s:>10.1f} {vs:>8.3f} {gflops:>8.2f} {util:>9.2%}  {rounds}")
        ok = "OK" if r["trainer_vs_bare"] >= TARGET else "BELOW TARGET"
        lines.append(f"{'':<7} {'':<14} trainer/bare {r['trainer_vs_bare']:.3f} (target >= {TARGET}: {ok}); "
                     f"training {m['train_flops_per_image'] / 1e6:.2f} MFLOP/image")
        lines.append("")
    lines.append("vs bare of trainer: median of per-round ratios; others: ratio of medians. "
                 "FLOP util: model FLOP/s / matmul FLOP/s.")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _import_project()
    import torch
    from bench._common import json_line, matmul_flops_per_s, median, rotated
    from sr_core.data import check_dataset, load_split, missing_message, resolve_data_dir
    from sr_core.errors import UserError
    from sr_core.trainer import resolve_device

    t_start = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = resolve_device(args.device)
        torch.empty(1, device=device)  # fail early on a device that is not there
    except Exception as exc:
        print(f"error: device '{args.device}' is not usable here ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    data_dir = resolve_data_dir(args.data_dir)
    if check_dataset("fashion-mnist", data_dir):
        print(f"error: {missing_message('fashion-mnist', data_dir)}", file=sys.stderr)
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
    _log(f"train_throughput: device {device}, {torch.get_num_threads()} threads, {args.steps} steps "
         f"(+{args.warmup} warm-up) x {args.rounds} rounds")
    cases = {p: prepare_case(p, len(train), total, device) for p in BENCH_PRESETS}
    for case in cases.values():
        case.flops_per_image = count_train_flops_per_image(case, images, labels, device)

    runs: dict[str, dict[str, list[float]]] = {p: {m: [] for m in METHODS} for p in BENCH_PRESETS}
    ratios: dict[str, list[float]] = {p: [] for p in BENCH_PRESETS}
    matmul: list[float] = []
    for rnd in range(args.rounds):
        matmul.append(matmul_flops_per_s(device, min_time_s=0.05 if args.quick else 0.4))
        _log(f"round {rnd + 1}/{args.rounds}: matmul {matmul[-1] / 1e9:.1f} GFLOP/s")
        for preset in rotated(BENCH_PRESETS, rnd):
            case = cases[preset]
            for method in rotated(METHODS, rnd):
                if method == "trainer":
                    v = measure_trainer(case, train, test, args.steps, args.warmup, device)
                elif method == "bare":
                    v = measure_bare(case, images, labels, args.steps, args.warmup, device)
                else:
                    v = measure_dataloader(case, tv_train, args.steps, args.warmup, device)
                runs[preset][method].append(v)
                _log(f"  {preset:<6} {method:<10} {v:10.1f} img/s")
            ratios[preset].append(runs[preset]["trainer"][-1] / runs[preset]["bare"][-1])

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
            "dataloader_vs_bare": round(med["dataloader"] / med["bare"], 4),
        }
    meta = {
        "steps": args.steps, "warmup_steps": args.warmup, "rounds": args.rounds, "quick": args.quick,
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
