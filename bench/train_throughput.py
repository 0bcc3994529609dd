"""Training throughput: the sr_core Trainer vs. a bare PyTorch loop vs. a torchvision DataLoader pipeline.

    SR_DATA_DIR=../shared/data .venv/bin/python bench/train_throughput.py [--steps N] [--device D] [--quick]

For the ``paper`` (cnn-vae-paper) and ``quick`` (cnn-vae) presets, batch 100, the preset's model trains
the same steps three ways from the same initial weights: ``trainer`` (:class:`sr_core.trainer.Trainer`,
no run folder, its whole per-step loop on the clock), ``bare`` (the minimal loop on the same
:class:`sr_core.data.BatchStream` batches, Adam, ``model.loss``, alpha schedule and per-step noise
seed, :func:`sr_core.seeds.step_noise_seed`: work the model needs, not Trainer overhead) and
``dataloader`` (torchvision ``FashionMNIST`` + ``ToTensor`` + ``DataLoader``, else as ``bare``: what
the in-memory uint8 batches buy).

Noise control (the machine is small and shared): each method runs in a thread of its own, woken for
its turn (the Trainer must be: it pauses inside its ``on_step`` callback); after ``--warmup`` untimed
steps, the ``--steps`` measured steps are split into ``--rounds`` rounds in which the methods take
turns every ``--interleave`` steps (rotating order), so other processes' load falls on all alike.
``*_img_s`` are medians over rounds, ``trainer_vs_bare`` the median of per-round ratios. ``meta`` adds
images per process-CPU-second (blind to other processes' load: only the running method's thread is
busy) and the largest weight difference between the Trainer's and the bare loop's models (0.0 on CPU:
the same computation). On CPU the default is one torch thread: two threads on a shared 2-core machine
stall whenever a core is taken. FLOP utilization = model training FLOP/s (``FlopCounterMode``, one
forward + loss + backward) / dense matmul FLOP/s on the same device and threads (median of rounds).

The last stdout line is one JSON object::

    {"paper": {"trainer_img_s", "bare_img_s", "dataloader_img_s", "trainer_vs_bare", "flop_utilization"},
     "quick": {...}, "meta": {...}}
"""
from __future__ import annotations

import argparse
import gc
import itertools
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from bench._common import (Turns, count_flops, fail, fashion_mnist_dir, fill_defaults, json_line, log,
                           matmul_flops_per_s, median, rotated)
from sr_core.presets import preset_config
from sr_core.data import BatchStream, load_split
from sr_core.degrade import get_degradation
from sr_core.device import resolve_device
from sr_core.losses import alpha_at
from sr_core.models import build_model
from sr_core.seeds import step_noise_seed
from sr_core.trainer import Trainer

PRESETS = ("paper", "quick")
METHODS = ("trainer", "bare", "dataloader")
DEFAULTS, QUICK = dict(steps=120, warmup=10, rounds=15), dict(steps=4, warmup=2, rounds=2)
TARGET = 0.95
EVAL_LIMIT = 1000  # the Trainer's one pre-loop evaluation (in the warm-up) on 1,000 test images


def train_step(model: Any, opt: Any, gen: Any, cfg: Any, step: int, hr: Any, lr: Any, y: Any) -> None:
    """One step of the bare loops: the Trainer's computation without its bookkeeping."""
    gen.manual_seed(step_noise_seed(cfg.seed, step))
    out = model(hr, lr=lr, labels=y, generator=gen)
    loss = model.loss(out, hr, lr, alpha=alpha_at(step, cfg.alpha_schedule), kl_weight=cfg.kl_weight, labels=y)
    opt.zero_grad(set_to_none=True)
    loss["total"].backward()
    opt.step()


def new_model(cfg: Any, device: Any) -> Any:
    return build_model(cfg.model, cfg.model_config, seed=cfg.seed).to(device).train()


def trainer_turns(cfg: Any, train: Any, test: Any, device: Any) -> Turns:
    trainer = Trainer(new_model(cfg, device), cfg, train, test, checkpoint_path=None, device=device)
    turns = Turns(f"trainer-{cfg.preset}", lambda stepped: trainer.run(), device, trainer.model)
    trainer.add_callback("on_step", lambda t, row: turns.stepped() or t.request_stop())
    return turns


def loop_turns(name: str, cfg: Any, device: Any, batches: Iterator[tuple[Any, Any, Any]]) -> Turns:
    """The minimal loop over ``batches`` ((hr, lr, labels) per step), from the same initial weights."""
    model, gen = new_model(cfg, device), torch.Generator(device=device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def body(stepped: Callable[[], bool]) -> None:
        for step, (hr, lr, y) in enumerate(batches):
            train_step(model, opt, gen, cfg, step, hr, lr, y)
            if not stepped():
                return

    return Turns(f"{name}-{cfg.preset}", body, device, model)


def loader_batches(cfg: Any, dataset: Any, device: Any) -> Iterator[tuple[Any, Any, Any]]:
    """torchvision's pipeline: DataLoader(batch, shuffle) over a ToTensor dataset, epoch after epoch."""
    from torch.utils.data import DataLoader

    degrade = get_degradation(cfg.degradation)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, num_workers=0, drop_last=True,
                        generator=torch.Generator().manual_seed(cfg.seed))
    while True:
        for x, y in loader:  # x: (B, 1, 28, 28) in [0, 1]
            hr = x.to(device, non_blocking=True)
            yield hr, degrade(hr), y.to(device, non_blocking=True)


def flops_per_image(cfg: Any, train: Any, device: Any) -> float:
    """Matmul/conv FLOPs of one forward + loss + backward of one batch, per image."""
    model, gen = new_model(cfg, device), torch.Generator(device=device)
    hr, lr, y = BatchStream(train, cfg.batch_size, cfg.seed, device, get_degradation(cfg.degradation)).batch(0)

    def step() -> None:
        out = model(hr, lr=lr, labels=y, generator=gen.manual_seed(step_noise_seed(cfg.seed, 0)))
        model.loss(out, hr, lr, alpha=alpha_at(0, cfg.alpha_schedule), kl_weight=cfg.kl_weight,
                   labels=y)["total"].backward()

    return count_flops(step) / hr.shape[0]


def weight_diff(a: Any, b: Any) -> float:
    """Largest absolute difference between the parameters of two models of the same architecture."""
    with torch.no_grad():
        return max(float((p - q).abs().max()) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def measure(args: argparse.Namespace, device: Any, data_dir: Path) -> dict[str, Any]:
    """Warm-up, then the interleaved rounds; returns the raw per-round numbers."""
    import torchvision
    from torchvision.transforms import ToTensor

    train = load_split("fashion-mnist", train=True, data_dir=data_dir, download=False)
    test = load_split("fashion-mnist", train=False, data_dir=data_dir, download=False)
    tv_train = torchvision.datasets.FashionMNIST(str(data_dir), train=True, download=False, transform=ToTensor())
    total = args.warmup + args.steps
    log(f"train_throughput: device {device}, {torch.get_num_threads()} threads, {args.steps} measured steps "
        f"per method in {args.rounds} interleaved rounds, after {args.warmup} warm-up steps")
    # steps = total + 1 and intervals beyond it: the Trainer is stopped after step `total`, before the
    # evaluation it would run after its final step, and never evaluates or saves inside the clock.
    cfgs = {p: preset_config(p, steps=total + 1, eval_every=total + 2, checkpoint_every=total + 2,
                             eval_limit=EVAL_LIMIT, device=str(device)) for p in PRESETS}
    streams = {p: BatchStream(train, c.batch_size, c.seed, device, get_degradation(c.degradation))
               for p, c in cfgs.items()}
    runners = {p: {"trainer": trainer_turns(c, train, test, device),
                   "bare": loop_turns("bare", c, device, map(streams[p].batch, itertools.count())),
                   "dataloader": loop_turns("dataloader", c, device, loader_batches(c, tv_train, device))}
               for p, c in cfgs.items()}
    raw: dict[str, Any] = {"cfgs": cfgs, "flops": {p: flops_per_image(c, train, device) for p, c in cfgs.items()},
                           "wall": {p: {m: [] for m in METHODS} for p in PRESETS},
                           "cpu": {p: {m: [] for m in METHODS} for p in PRESETS}, "matmul": []}
    for p in PRESETS:  # untimed (the Trainer's pre-loop evaluation happens here)
        for m in METHODS:
            runners[p][m].chunk(args.warmup)
    # Collect before every round so none pays for the last one's garbage; freeze what exists now (torch
    # and torchvision modules) so those collections stay cheap.
    gc.collect()
    gc.freeze()
    base, extra = divmod(args.steps, args.rounds)
    for rnd in range(args.rounds):
        n = base + (rnd < extra)
        gc.collect()
        raw["matmul"].append(matmul_flops_per_s(device, min_time_s=0.03 if args.quick else 0.1))
        for p in rotated(PRESETS, rnd):
            spent = {m: [0.0, 0.0] for m in METHODS}
            for turn, done in enumerate(range(0, n, args.interleave), start=rnd):
                for m in rotated(METHODS, turn):
                    wall, cpu = runners[p][m].chunk(min(args.interleave, n - done))
                    spent[m][0] += wall
                    spent[m][1] += cpu
            for m in METHODS:
                raw["wall"][p][m].append(n * cfgs[p].batch_size / spent[m][0])
                raw["cpu"][p][m].append(n * cfgs[p].batch_size / max(spent[m][1], 1e-9))
        log(f"round {rnd + 1}/{args.rounds} ({n} steps): matmul {raw['matmul'][-1] / 1e9:.1f} GFLOP/s, "
            + ", ".join(f"{p}/{m} {raw['wall'][p][m][-1]:.0f}" for p in PRESETS for m in METHODS) + " img/s")
    gc.unfreeze()
    raw["weight_diff"] = {p: weight_diff(r["trainer"].model, r["bare"].model) for p, r in runners.items()}
    for r in runners.values():
        for turns in r.values():
            turns.close()
    return raw


def report(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON's per-preset results and meta, and the table on stdout."""
    peak = median(raw["matmul"])
    result, presets = {}, {}
    print(f"dense matmul ceiling (1024x1024 fp32): {peak / 1e9:.1f} GFLOP/s (median of rounds)\n"
          f"{'preset':<7} {'method':<11} {'img/s':>9} {'vs bare':>8} {'FLOP util':>9} {'img/CPU-s':>10}  rounds")
    for p in PRESETS:
        cfg, wall, cpu = raw["cfgs"][p], raw["wall"][p], raw["cpu"][p]
        med = {m: median(wall[m]) for m in METHODS}
        ratios = [t / b for t, b in zip(wall["trainer"], wall["bare"])]
        result[p] = {"trainer_img_s": round(med["trainer"], 1), "bare_img_s": round(med["bare"], 1),
                     "dataloader_img_s": round(med["dataloader"], 1), "trainer_vs_bare": round(median(ratios), 4),
                     "flop_utilization": float(f"{med['trainer'] * raw['flops'][p] / peak:.4g}")}
        presets[p] = {
            "model": cfg.model, "batch_size": cfg.batch_size, "lr": cfg.lr,
            "train_flops_per_image": int(raw["flops"][p]),
            "rounds_img_s": {m: [round(v, 1) for v in wall[m]] for m in METHODS},
            "rounds_trainer_vs_bare": [round(v, 4) for v in ratios],
            "trainer_vs_bare_of_medians": round(med["trainer"] / med["bare"], 4),
            # load from other processes only ever slows a round down: the best rounds are a second view
            "trainer_vs_bare_of_best": round(max(wall["trainer"]) / max(wall["bare"]), 4),
            "dataloader_vs_bare": round(med["dataloader"] / med["bare"], 4),
            "cpu_img_per_cpu_s": {m: round(median(cpu[m]), 1) for m in METHODS},
            "trainer_vs_bare_cpu": round(median([t / b for t, b in zip(cpu["trainer"], cpu["bare"])]), 4),
            "trainer_bare_max_weight_diff": raw["weight_diff"][p]}
        for m in METHODS:
            vs = result[p]["trainer_vs_bare"] if m == "trainer" else med[m] / med["bare"]
            print(f"{p if m == 'trainer' else '':<7} {m:<11} {med[m]:>9.1f} {vs:>8.3f} "
                  f"{med[m] * raw['flops'][p] / peak:>9.2%} {presets[p]['cpu_img_per_cpu_s'][m]:>10.1f}  "
                  f"{min(wall[m]):.0f}..{max(wall[m]):.0f}")
        print(f"{'':<7} trainer/bare {result[p]['trainer_vs_bare']:.3f} (target >= {TARGET}; best rounds "
              f"{presets[p]['trainer_vs_bare_of_best']:.3f}, by CPU time {presets[p]['trainer_vs_bare_cpu']:.3f})")
    meta = {"matmul_gflops": round(peak / 1e9, 2), "matmul_gflops_rounds": [round(v / 1e9, 2) for v in raw["matmul"]],
            "flop_utilization_of": "trainer", "trainer_vs_bare_rule": "median over rounds of trainer/bare",
            "target_trainer_vs_bare": TARGET, "presets": presets}
    return result, meta


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, help=f"measured steps per method and preset (default {DEFAULTS['steps']})")
    p.add_argument("--warmup", type=int, help=f"untimed steps first (default {DEFAULTS['warmup']})")
    p.add_argument("--rounds", type=int, help=f"interleaved rounds; medians over them (default {DEFAULTS['rounds']})")
    p.add_argument("--interleave", type=int, help="steps per turn (default: 1 on CPU, 10 on an accelerator, "
                                                  "where every turn ends with a device sync)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=int, help="torch intra-op threads (default: 1 on CPU, torch's otherwise)")
    p.add_argument("--data-dir", help="data root (default: $SR_DATA_DIR, else ./data)")
    p.add_argument("--quick", action="store_true", help="a few steps only: a smoke test, not a measurement")
    args = p.parse_args(argv)
    fill_defaults(args, QUICK if args.quick else DEFAULTS)
    if min(args.warmup, args.rounds, args.threads or 1, args.interleave or 1) < 1 or args.steps < args.rounds:
        p.error("--warmup, --rounds, --threads, --interleave must be >= 1 and --steps >= --rounds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    try:
        device = resolve_device(args.device)
        torch.empty(1, device=device)  # fail early on a device that is not there
    except Exception as exc:
        fail(f"device '{args.device}' is not usable here ({type(exc).__name__}: {exc})")
    args.threads = args.threads or (1 if device.type == "cpu" else None)
    args.interleave = args.interleave or (1 if device.type == "cpu" else 10)
    caller_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        raw = measure(args, device, fashion_mnist_dir(args.data_dir))
    finally:
        torch.set_num_threads(caller_threads)  # main() may be called in-process
    result, meta = report(raw)
    meta.update(device=str(device), threads=args.threads or caller_threads, torch=torch.__version__,
                steps=args.steps, warmup_steps=args.warmup, rounds=args.rounds, interleave=args.interleave,
                quick=args.quick, elapsed_s=round(time.perf_counter() - t_start, 1))
    print(json_line({**result, "meta": meta}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
