"""Command line: ``python -m sr_core {train,eval,list,models,sweep,upscale} ...``.

Every user mistake (unknown preset or model, negative learning rate, batch size 0, missing run,
missing data) is one line on stderr and exit code 2. ``train`` shows a tqdm bar and prints the run
folder's path as its last line; ``eval --json`` prints exactly one JSON object.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Sequence

from sr_core.monitor.alerts import alert_printer
from sr_core.cli.args import OneLineParser, finite_float, positive_float, positive_int
from sr_core.cli.signals import GracefulStop, Interrupted, end_deferral
from sr_core.cli.sweep import add_sweep_parser, cmd_sweep
from sr_core.config import parse_alpha_schedule
from sr_core.presets import PRESETS, preset_config
from sr_core.errors import UserError
from sr_core.fs import ASSETS_DIR, atomic_write_text, json_safe
from sr_core.imaging.batch import add_upscale_parser, cmd_upscale
from sr_core.model_names import describe_light
from sr_core.runs.catalog import resolve
from sr_core.runs.listing import list_runs, resume_hint
from sr_core.runs.shipped import SHIPPED_DIR
from sr_core.runs.status import RESUMABLE_STATUSES, RunStatus
from sr_core.runs.store import runs_root
from sr_core.runs.table import run_rows
from sr_core.runs.trained_on import dataset_text, trained_on_text

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m sr_core", description="VAE super-resolution studio: headless core.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    t = sub.add_parser("train", help="train a model (new run or --resume)")
    t.add_argument("--preset", help="preset name (see `models`); default: quick")
    t.add_argument("--model", help="model name from the registry (overrides the preset's)")
    t.add_argument("--steps", type=positive_int, help="number of batches")
    t.add_argument("--batch-size", type=positive_int)
    t.add_argument("--lr", type=positive_float, help="Adam learning rate")
    t.add_argument("--lr-schedule", choices=("constant", "cosine"),
                   help="learning-rate schedule: constant, or cosine decay to 0 at the last batch")
    t.add_argument("--alpha", help="alpha schedule as step:alpha pairs, e.g. 0:0.75,2500:0.25")
    t.add_argument("--kl-weight", type=finite_float, help="weight of the KL term (eq. 7); 0 = the paper's loss")
    t.add_argument("--eval-every", type=positive_int, help="test loss every N batches")
    t.add_argument("--eval-limit", type=int, help="test images used for the test loss (0 = all)")
    t.add_argument("--checkpoint-every", type=positive_int, help="checkpoint every N batches")
    t.add_argument("--seed", type=int, help="seed of the run (0 to 2**32-1): initial weights, data order, noise")
    t.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    t.add_argument("--dataset", help="fashion-mnist (default), mnist, photos (scikit-image's sample photos) or "
                                     "folder:PATH (any folder of images; see README 'Your own images')")
    t.add_argument("--degradation", choices=("box", "bicubic"), help="how LR is made from HR (default: box, the paper's)")
    t.add_argument("--patch", type=positive_int, help="HR patch side on photo datasets (default 48; 28 for the "
                                                       "CNN-VAEs with a linear encoder)")
    t.add_argument("--data-dir", help="data root (default: $SR_DATA_DIR, else ./data or ../shared/data beside "
                                      "the checkout if it holds the files, else ./data, downloaded there)")
    t.add_argument("--runs-dir", help="runs folder (default: $SR_RUNS_DIR or ./runs)")
    t.add_argument("--name", help="run name (default: timestamp-model)")
    t.add_argument("--resume", metavar="RUN", help="continue run RUN from its checkpoint")
    t.add_argument("--keep-optimizer", action="store_true", default=None,
                   help="keep Adam's state in the checkpoint after the run finishes (to continue it exactly)")
    t.add_argument("--val-split", type=int, help="hold out N training images as a validation split (seeded; "
                                                  "best.pt and early stopping are chosen on it)")
    t.add_argument("--early-stop", type=int, metavar="K", help="stop when the validation metric has not improved "
                                                              "for K evaluations (holds out 2000 images if no --val-split)")
    t.add_argument("--early-stop-metric", choices=("val_psnr", "val_loss"), help="validation metric (default val_psnr)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")

    e = sub.add_parser("eval", help="evaluate a run or checkpoint against interpolation baselines")
    e.add_argument("target", metavar="RUN_OR_CHECKPOINT")
    e.add_argument("--data-dir", help="data root (default: the run's recorded folder, then as for train)")
    e.add_argument("--runs-dir")
    e.add_argument("--dataset", help="dataset to evaluate on (default: the one it was trained on); photos or "
                                     "folder:PATH score whole held-out photos under the BasicSR Y protocol")
    e.add_argument("--images", metavar="DIR", help="any folder of HR images as a benchmark (whole images, "
                                                  "BasicSR Y protocol, per image and mean)")
    e.add_argument("--limit", type=int, default=0, help="first N test images (0 = all 10,000)")
    e.add_argument("--device", default="auto")
    e.add_argument("--json", action="store_true", help="print exactly one JSON object")
    e.add_argument("--out", metavar="FILE", help="also write the result as JSON to FILE (not inside assets/)")

    ls = sub.add_parser("list", help="list runs")
    ls.add_argument("--runs-dir")
    ls.add_argument("--json", action="store_true")

    sub.add_parser("models", help="list models and presets")
    add_sweep_parser(sub)
    add_upscale_parser(sub)
    return p


def _train_options(args: argparse.Namespace) -> dict[str, Any]:
    return dict(model=args.model, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                lr_schedule=args.lr_schedule, alpha_schedule=parse_alpha_schedule(args.alpha) if args.alpha else None,
                kl_weight=args.kl_weight, eval_every=args.eval_every, eval_limit=args.eval_limit, seed=args.seed,
                checkpoint_every=args.checkpoint_every,
                device=args.device, dataset=args.dataset, patch=args.patch,
                degradation=args.degradation, keep_optimizer=args.keep_optimizer, val_split=args.val_split,
                early_stop=args.early_stop, early_stop_metric=args.early_stop_metric)


def _job(args: argparse.Namespace) -> Any:
    """The :class:`sr_core.runs.jobs.TrainJob` of ``train`` (new run, or ``--resume``), not started."""
    from sr_core.runs.jobs import resume_job, start_job  # local: torch-free CLI start

    options = _train_options(args)
    if args.resume:
        if args.name:
            raise UserError("--name cannot be used with --resume (the run keeps its name); drop --name")
        overrides = dict(options, preset=args.preset)
        return resume_job(args.resume, runs_dir=args.runs_dir, data_dir=args.data_dir, command=sys.argv,
                          overrides=overrides)
    cfg = preset_config(args.preset or "quick", **options)
    return start_job(cfg, runs_dir=args.runs_dir, name=args.name, data_dir=args.data_dir, command=sys.argv)


def _progress_bar(job: Any) -> Any:
    from tqdm import tqdm  # local: tqdm only when a progress bar is shown

    trainer, run = job.trainer, job.run
    cfg = trainer.config
    bar = tqdm(total=cfg.steps, initial=trainer.step, unit="batch", desc=f"{cfg.model} {run.name}",
               dynamic_ncols=True, file=sys.stderr)
    last = {"loss": "-"}  # the latest train loss, kept here rather than copied out of a snapshot

    def on_step(t: Any, row: dict[str, Any]) -> None:
        bar.update(1)
        last["loss"] = f"{row['total']:.4f}"
        if row["step"] % 10 == 0:
            bar.set_postfix(loss=last["loss"], alpha=row["alpha"], img_s=f"{row['img_s'] or 0:.0f}")  # the trainer's

    def on_eval(t: Any, row: dict[str, Any]) -> None:
        bar.set_postfix(loss=last["loss"], test=f"{row['total']:.4f}")

    trainer.add_callback("on_step", on_step)
    trainer.add_callback("on_eval", on_eval)
    return bar


def cmd_train(args: argparse.Namespace) -> int:
    with GracefulStop() as stopper:
        job = _job(args)
        trainer, run = job.trainer, job.run
        stopper.attach(trainer)
        cfg = trainer.config
        if job.snapshot().notice:
            print(job.snapshot().notice, file=sys.stderr)
        bar = None if args.no_progress else _progress_bar(job)
        job.trainer.add_callback("on_eval", alert_printer(bar.write if bar is not None else None))
        try:
            status = job.run_here()
        finally:
            if bar is not None:
                bar.close()
    snap = job.snapshot()  # the same snapshot the Train page reads (images/s from the trainer's meter)
    if stopper.signum is not None and status == RunStatus.STOPPED:
        print(f"{snap.message} at step {trainer.step}/{cfg.steps}; checkpoint saved — resume with "
              f"`{resume_hint(run.name)}`", file=sys.stderr)
        print(run.path)
        return 128 + stopper.signum
    tests = snap.test
    last = f"test loss {tests[-1]['total']:.4f}" if tests else "no test loss"
    print(f"{status}: {trainer.step}/{cfg.steps} batches, {last}, {snap.avg_img_s or 0:.0f} img/s on average, "
          f"{snap.total_s or snap.elapsed_s:.1f} s", file=sys.stderr)
    if snap.message:
        print(snap.message, file=sys.stderr)
    print(run.path)
    return 0 if status in RESUMABLE_STATUSES else 1


def _inside_assets(path: Path) -> bool:
    """True for a path inside the project's read-only assets/ folder (shipped checkpoints, studies)."""
    return path.resolve().is_relative_to(ASSETS_DIR)


def cmd_eval(args: argparse.Namespace) -> int:
    from sr_core.checkpoint import model_from_checkpoint  # local: torch-free CLI start
    from sr_core.data import load_split, recorded_data_dir  # local: torch-free CLI start
    from sr_core.evaluate import evaluate, write_eval  # local: torch-free CLI start
    from sr_core.device import resolve_device  # local: torch-free CLI start

    if args.limit < 0:
        raise UserError(f"--limit must be 0 (all) or positive (got {args.limit})")
    if args.out and _inside_assets(Path(args.out)):
        raise UserError(f"--out {args.out} is inside the shipped assets/ folder, which is read-only; "
                        f"write the result somewhere else (e.g. --out eval.json)")
    path = resolve(args.target, args.runs_dir)
    device = resolve_device(args.device)
    model, ckpt = model_from_checkpoint(path, map_location=device)
    tcfg = ckpt.get("train_config") or {}
    dataset = args.dataset or tcfg.get("dataset", "fashion-mnist")
    degradation = tcfg.get("degradation", "box")
    if args.images or dataset == "photos" or dataset.startswith("folder:"):  # sr_core.imaging.photo_eval
        from sr_core.imaging.photo_eval import eval_photos  # local: torch-free CLI start
        return eval_photos(model, ckpt, path, dataset=None if args.images else dataset, images_dir=args.images,
                           limit=args.limit, as_json=args.json, out=args.out)
    data_dir = args.data_dir or recorded_data_dir(path.parent, dataset)  # a run's own folder, if recorded
    split = load_split(dataset, train=False, data_dir=data_dir)
    result = evaluate(model, split, degradation=degradation, limit=args.limit, device=device)
    result = {"protocol": result["protocol"], "checkpoint": str(path), "model_name": ckpt["model_name"],
              "step": ckpt.get("step"), **{k: v for k, v in result.items() if k != "protocol"}}
    if model.has_latent:  # the paper's latent vs LR and the latent gap (sr_core.latent)
        from sr_core.latent import latent_metrics  # local: torch-free CLI start
        result["latent"] = latent_metrics(model, split, degradation=degradation, limit=args.limit, device=device)
    # A run's own eval.json is refreshed by a full evaluation; shipped assets are never written.
    if path.name == "checkpoint.pt" and (path.parent / "config.json").is_file() and not args.limit \
            and dataset == tcfg.get("dataset", "fashion-mnist") and not _inside_assets(path):
        write_eval(path.parent, result)
    if args.out:
        atomic_write_text(Path(args.out), json.dumps(json_safe(result), indent=2))
    if args.json:
        print(json.dumps(json_safe(result)))
        return 0
    rows = [("model (decoder-only SR)", result["model"])]
    rows += [(m, result[m]) for m in ("nearest", "bilinear", "bicubic")]
    if "reconstruction" in result:
        rows.append(("full-VAE reconstruction (sees HR)", result["reconstruction"]))
    print(f"{result['model_name']} @ step {result['step']} (trained on {trained_on_text(tcfg)}) on "
          f"{dataset_text(dataset)} test, {result['n_images']} images")
    print(f"{'method':<36}{'PSNR dB':>9}{'SSIM':>8}{'LR-PSNR dB':>12}")
    for name, m in rows:
        lrp = m.get("lr_psnr")
        lrs = "-" if lrp is None else ("inf" if lrp == math.inf else f"{lrp:.2f}")
        print(f"{name:<36}{m['psnr']:>9.2f}{m['ssim']:>8.4f}{lrs:>12}")
    print(f"Protocol: {result['protocol']}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(json_safe(list_runs(args.runs_dir))))
        return 0
    table = run_rows(args.runs_dir)
    rows, shipped = [r for r in table if not r.shipped], [r for r in table if r.shipped]
    head = (f"{'name':<40}{'model':<16}{'trained on':<24}{'preset':<16}{'steps':>12}  {'status':<10}{'best test':>10}"
            f"{'PSNR':>8}")
    if not rows:
        print(f"no runs in {runs_root(args.runs_dir)}; start one with `python -m sr_core train --preset quick`")
    else:
        print(head)
    for r in rows:
        if r.error:
            print(f"{r.name:<40}ERROR: {r.error}")
            continue
        steps = f"{r.step}/{r.total_steps}"
        best = "-" if r.best_test_loss is None else f"{r.best_test_loss:.4f}"
        ps = "-" if r.psnr is None else f"{r.psnr:.2f}"
        note = f"  {r.note}" if r.note else ""
        print(f"{r.name:<40}{r.model:<16}{dataset_text(r.dataset)[:23]:<24}{r.preset:<16}{steps:>12}  "
              f"{r.status:<10}{best:>10}{ps:>8}{note}")
    if shipped:
        print(f"\nshipped checkpoints (read-only) in {SHIPPED_DIR}; evaluate one with "
              f"`python -m sr_core eval {SHIPPED_DIR}/<name>/checkpoint.pt`; PSNR: Fashion-MNIST test set")
        if not rows:
            print(head)
        for r in shipped:
            ps = "-" if r.psnr is None else f"{r.psnr:.2f}"
            steps = r.step or "-"
            photo = (f"  held-out photos: Y-PSNR {r.photo_psnr:.2f} dB, {r.gain_db:+.2f} dB vs bicubic"
                     if r.photo_psnr is not None and r.gain_db is not None else "")
            print(f"{r.name:<40}{r.model:<16}{dataset_text(r.dataset)[:23]:<24}{r.preset:<16}{steps:>12}  "
                  f"{'shipped':<10}{'-':>10}{ps:>8}{photo}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    print("Models:")
    for m in describe_light():
        flag = " (stochastic)" if m["stochastic"] else ""
        print(f"  {m['name']:<16}{m['parameters']:>10,} params{flag}  {m['summary']}")
    print("Presets:")
    for name, p in PRESETS.items():
        print(f"  {name:<16}{p.model:<16}{p.help}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (2 for user errors, with one line on stderr)."""
    try:
        end_deferral()  # a signal recorded while the CLI imported ends the command here, in one line
        args = build_parser().parse_args(argv)
        return {"train": cmd_train, "eval": cmd_eval, "list": cmd_list, "models": cmd_models,
                "sweep": cmd_sweep, "upscale": cmd_upscale}[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Interrupted as exc:
        print(f"interrupted ({exc}); nothing more was written — the last checkpoint, if any, is kept",
              file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C (or TERM, see __main__) before the training's handlers were installed
        print("interrupted during start-up; nothing was trained", file=sys.stderr)
        return 130
