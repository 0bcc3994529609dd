"""``python -m sr_core sweep``: settings x seeds on Ray Tune, then mean ± 95 % CI per setting.

    sweep --preset quick --grid "alpha=0:1.0|0:0.75|0:0.75,1200:0.25" --seeds 5 --reference 3
    sweep --preset tiny --steps 20 --grid "lr=0.001|0.003" --seeds 2 --runs-dir /tmp/r
    sweep --resume NAME        # continue a killed/stopped sweep; finished trials are kept
    sweep --show NAME          # the table (add --reference N to compare against another setting)
    sweep --list

Every ``train`` option (``--steps``, ``--lr``, ``--data-dir``, ``--runs-dir``, ...) applies to every
trial; the grid's keys override them. Grid syntax: :mod:`sr_core.sweeps.spec`. The last line printed
by a run is the sweep folder.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from sr_core.cli.args import positive_float, positive_int
from sr_core.config import parse_alpha_schedule
from sr_core.errors import UserError
from sr_core.runs.status import SweepStatus, TrialStatus
from sr_core.sweeps.check import check_size, live_status
from sr_core.sweeps.spec import (SweepSpec, default_sweep_name, find_sweep, list_sweeps, parse_grid, read_state,
                                 resolve_reference, sanitize_name, spec_from_dict, sweep_dir)
from sr_core.sweeps.stats import format_table, summarize

TRAIN_OPTIONS = ("model", "steps", "batch_size", "lr", "lr_schedule", "kl_weight", "eval_every", "eval_limit",
                 "device", "dataset", "patch", "keep_optimizer")


def add_sweep_parser(sub: Any) -> None:
    """Register the ``sweep`` subcommand on the CLI's subparsers."""
    s = sub.add_parser("sweep", help="run a grid of settings x seeds on Ray Tune; mean ± 95%% CI per setting",
                       description="Grid: key=v1|v2 entries separated by ';' or spaces, e.g. "
                                   "\"alpha=0:1.0|0:0.75,1200:0.25; lr=0.001|0.003\". Keys: alpha, lr, "
                                   "lr-schedule, kl-weight, model, batch-size, steps, eval-every, eval-limit, "
                                   "dataset, patch.")
    s.add_argument("--grid", help="settings to compare (see above)")
    s.add_argument("--seeds", type=positive_int, default=3, help="seeds per setting (default 3)")
    s.add_argument("--seed", type=int, default=0, help="first seed (seeds are SEED, SEED+1, ...)")
    s.add_argument("--reference", help="setting for the paired comparison: number (1-based) or label; default 1")
    s.add_argument("--name", help="sweep name (default: timestamp-sweep)")
    s.add_argument("--resume", metavar="NAME", help="continue sweep NAME, keeping its finished trials")
    s.add_argument("--show", metavar="NAME", help="print sweep NAME's table and exit")
    s.add_argument("--list", action="store_true", help="list the sweeps in the runs folder")
    s.add_argument("--workers", type=positive_int, help="trials at once (default: CPU cores // cpus-per-trial)")
    s.add_argument("--cpus-per-trial", type=positive_float, default=1.0, help="CPUs (and torch threads) per trial")
    s.add_argument("--gpus-per-trial", type=float, default=0.0, help="GPUs per trial (fractions share a GPU)")
    s.add_argument("--address", help="Ray cluster address (default: $RAY_ADDRESS, else an embedded Ray)")
    s.add_argument("--eval-images", type=int, default=0, help="test images scored per trial (0 = all 10,000)")
    s.add_argument("--preset", default="quick", help="base preset (default: quick)")
    s.add_argument("--model")
    s.add_argument("--steps", type=positive_int)
    s.add_argument("--batch-size", type=positive_int)
    s.add_argument("--lr", type=positive_float)
    s.add_argument("--lr-schedule", choices=("constant", "cosine"))
    s.add_argument("--alpha", help="alpha schedule for every trial, e.g. 0:0.75,1200:0.25")
    s.add_argument("--kl-weight", type=float)
    s.add_argument("--eval-every", type=positive_int)
    s.add_argument("--eval-limit", type=int)
    s.add_argument("--device")
    s.add_argument("--dataset", help="fashion-mnist, mnist, photos or folder:PATH")
    s.add_argument("--patch", type=positive_int, help="HR patch side on photo datasets (see train --help)")
    s.add_argument("--keep-optimizer", action="store_true", default=None,
                   help="keep Adam's state in each finished trial's checkpoint (default: weights only)")
    s.add_argument("--data-dir")
    s.add_argument("--runs-dir")
    s.add_argument("--no-progress", action="store_true")


def spec_from_args(args: argparse.Namespace):
    """The :class:`SweepSpec` of a new sweep from the command line (validated)."""
    if not args.grid:
        raise UserError("sweep needs --grid (e.g. --grid \"lr=0.001|0.003\"), or --resume/--show NAME")
    if args.eval_images < 0:
        raise UserError(f"--eval-images must be 0 (all) or positive (got {args.eval_images})")
    grid = parse_grid(args.grid)
    check_size([len(v) for _, v in grid], args.seeds)  # before any list of seeds or settings is built
    base = {k: getattr(args, k) for k in TRAIN_OPTIONS if getattr(args, k) is not None}
    if args.alpha:
        base["alpha_schedule"] = parse_alpha_schedule(args.alpha)
    spec = SweepSpec(name=sanitize_name(args.name or default_sweep_name()), preset=args.preset,
                     grid=grid, seeds=[args.seed + i for i in range(args.seeds)], base=base,
                     eval_limit=args.eval_images)
    spec.reference = resolve_reference(spec, args.reference)
    return spec.validate()


class _Bar:
    """tqdm over the trials left to do: done, running, failed, time left."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bar = enabled, None

    def __call__(self, state: dict[str, Any]) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm  # local: tqdm only when a progress bar is shown

        trials = state["trials"]
        if self.bar is None:
            self.start_done = sum(t["status"] == TrialStatus.FINISHED for t in trials)
            self.bar = tqdm(total=len(trials), initial=self.start_done, unit="trial",
                            desc=f"sweep {state['spec']['name']}", dynamic_ncols=True, file=sys.stderr)
        ended = sum(t["status"] in (TrialStatus.FINISHED, TrialStatus.FAILED) for t in trials)
        self.bar.update(ended - self.bar.n)
        self.bar.set_postfix(running=sum(t["status"] == TrialStatus.RUNNING for t in trials),
                             failed=sum(t["status"] == TrialStatus.FAILED for t in trials))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def show(name: str, runs_dir: str | None, reference: str | None = None) -> str:
    """The text of ``sweep --show``: header, table, failed trials, protocol."""
    folder = find_sweep(name, runs_dir)
    state = read_state(folder)
    spec = spec_from_dict(state["spec"])
    ref = resolve_reference(spec, reference)
    rows = summarize(state["trials"], state["labels"], ref) if ref != spec.reference else state["summary"]
    base = " ".join(f"{k}={v}" for k, v in spec.base.items())
    lines = [f"sweep {spec.name} [{live_status(state, folder)}]: preset {spec.preset} {base}".rstrip()
             + f", seeds {spec.seeds}, reference: setting {ref + 1}", format_table(rows)]
    failed = [t for t in state["trials"] if t["status"] == TrialStatus.FAILED]
    lines += [f"failed: {t['run']} ({t['label']}, seed {t['seed']}): {t['error']}" for t in failed]
    pending = sum(t["status"] in (TrialStatus.PENDING, TrialStatus.RUNNING) for t in state["trials"])
    if pending:
        lines.append(f"{pending} trial(s) not finished: continue with `python -m sr_core sweep --resume {spec.name}`")
    lines.append(f"Protocol: {state.get('protocol', '')}")
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    if args.list:
        rows = list_sweeps(args.runs_dir)
        if not rows:
            print("no sweeps yet; start one with `python -m sr_core sweep --preset tiny --grid \"lr=0.001|0.003\"`")
        for r in rows:
            where = "  (shipped study)" if r["shipped"] else ""
            print(f"{r['name']:<40}ERROR: {r['error']}" if r["error"] else
                  f"{r['name']:<40}{r['status']:<10}{r[TrialStatus.FINISHED]:>3}/{r['n_trials']} finished, "
                  f"{r[TrialStatus.FAILED]} failed{where}")
        return 0
    if args.show:
        print(show(args.show, args.runs_dir, args.reference))
        return 0
    from sr_core.sweeps.driver import run_sweep  # local: heavy: Ray and torch only when a sweep runs

    spec = None if args.resume else spec_from_args(args)
    bar = _Bar(not args.no_progress)
    try:
        state = run_sweep(spec, runs_dir=args.runs_dir, data_dir=args.data_dir, resume=args.resume,
                          workers=args.workers, cpus_per_trial=args.cpus_per_trial,
                          gpus_per_trial=args.gpus_per_trial, address=args.address, progress=bar)
    finally:
        bar.close()
    name = state["spec"]["name"]
    print(show(name, args.runs_dir), file=sys.stderr)
    print(sweep_dir(name, args.runs_dir).resolve())
    failed = any(t["status"] == TrialStatus.FAILED for t in state["trials"])
    return 0 if state["status"] == SweepStatus.FINISHED and not failed else 1
