"""Release tooling: train, evaluate and ship one checkpoint per model into assets/checkpoints/<model>/.

The folder is :data:`sr_core.runs.shipped.SHIPPED_DIR`, where the studio and ``bench/quality.py`` read them.

Each model is trained by the project's own code (``sr_core.runs.jobs.prepare_run`` + ``Trainer.run``, the
same path as ``python -m sr_core train --preset NAME``) into a run folder, then copied:

    assets/checkpoints/<model>/checkpoint.pt    weights (float16 where that keeps PSNR within 0.1 dB),
                                                configs, step; no optimizer state
                          config.json           the run's config.json (settings, command, versions)
                          metrics.csv           the run's training/test loss curve
                          eval.json             sr_core.evaluate.evaluate() of the shipped file, full test set
                          eval_2000.json        the same on the first 2,000 test images (tests/runs/test_shipped_checkpoints.py)
                          train_time.json       wall-clock training time, images/s, torch threads

    python scripts/make_checkpoints.py                       # all models, one after another
    python scripts/make_checkpoints.py --models resnet-sr    # just one
    python scripts/make_checkpoints.py --reuse               # re-ship finished runs without retraining

Run it from the project root with ``SR_DATA_DIR`` pointing at the data. It trains one model at a
time with ``--threads`` torch threads (default 2).
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
from sr_core.fs import json_safe
from sr_core.runs.shipped import SHIPPED_DIR as OUT

# shipped name -> preset that trains it (Fashion-MNIST models are named after their model; photo
# models after their preset, e.g. resnet-sr-photo = model resnet-sr trained on scikit-image's photos)
SHIP = {"cnn-vae-paper": "paper", "cnn-vae": "quick", "cnn-vae-class": "cnn-vae-class",
        "cnn-vae-deep": "cnn-vae-deep",
        "resnet-sr": "resnet-sr-long", "cvae-sr": "cvae-sr-long",
        "resnet-sr-photo": "resnet-sr-photo", "cnn-vae-photo": "cnn-vae-photo"}
MAX_TOTAL_BYTES = 13 * 1024 * 1024  # 10 MB for the six Fashion-MNIST models + 3 MB for the photo models
FP16_MAX_PSNR_DROP = 0.1  # dB, on the first 2,000 test images
QUICK_LIMIT = 2000


def shipped_checkpoint(run_ckpt: dict[str, Any], fp16: bool, run_name: str) -> dict[str, Any]:
    """The run's checkpoint without optimizer state, weights optionally stored as float16."""
    ck = dict(run_ckpt)
    ck["optimizer_state"] = None
    if fp16:
        ck["model_state"] = {k: (v.half() if v.is_floating_point() else v) for k, v in ck["model_state"].items()}
    ck["extra"] = dict(ck.get("extra") or {}, shipped={"weights_dtype": "float16" if fp16 else "float32",
                                                       "source_run": run_name, "loads_as": "float32"})
    return ck


def _save(ck: dict[str, Any], path: Path) -> int:
    import torch

    from sr_core.fs import atomic_write_bytes

    buf = io.BytesIO()
    torch.save(ck, buf)
    atomic_write_bytes(path, buf.getvalue())
    return len(buf.getvalue())


def evaluate_file(path: Path, split: Any, limit: int, full: bool) -> dict[str, Any]:
    """evaluate() of a checkpoint file; ``full`` adds projection and the HF share."""
    from sr_core.checkpoint import model_from_checkpoint
    from sr_core.evaluate import evaluate

    model, _ = model_from_checkpoint(path)
    return evaluate(model, split, limit=limit, projection=full, hf_share=full)


def train(model_name: str, runs_dir: Path, data_dir: str | None, reuse: bool, log) -> tuple[Path, dict[str, Any]]:
    """Train the model's preset into ``runs_dir/ship-<model>``; returns (run path, timing)."""
    from sr_core.presets import preset_config
    from sr_core.runs.jobs import prepare_run

    run_path = runs_dir / f"ship-{model_name}"
    timing_path = run_path / "train_time.json"
    if reuse and (run_path / "checkpoint.pt").is_file():
        log(f"[ship] reusing {run_path}")
        if not timing_path.is_file():  # trained by the CLI command in the README table, not by this script
            timing = timing_from_run(run_path, SHIP[model_name])
            timing_path.write_text(json.dumps(timing, indent=2))
        return run_path, json.loads(timing_path.read_text())
    if run_path.exists():
        shutil.rmtree(run_path)
    cfg = preset_config(SHIP[model_name], device="cpu")
    cmd = [sys.executable, "-m", "sr_core", "train", "--preset", SHIP[model_name], "--runs-dir", str(runs_dir),
           "--name", run_path.name]
    trainer, run = prepare_run(cfg, runs_dir=runs_dir, name=run_path.name, data_dir=data_dir, command=cmd)
    log(f"[ship] training {model_name} (preset {SHIP[model_name]}, {cfg.steps} steps) in {run.path}")
    t0 = time.perf_counter()
    status = trainer.run()
    dt = time.perf_counter() - t0
    if status != "finished":
        raise SystemExit(f"training {model_name} ended with status {status}: {trainer.snapshot().message}")
    import torch

    timing = {"train_s": round(dt, 1), "train_img_s": round(trainer.step * cfg.batch_size / dt, 1),
              "steps": trainer.step, "batch_size": cfg.batch_size, "torch_threads": torch.get_num_threads(),
              "preset": SHIP[model_name]}
    timing_path.write_text(json.dumps(timing, indent=2))
    log(f"[ship] {model_name}: {dt:.0f} s, {timing['train_img_s']:.0f} img/s")
    return run.path, timing


def timing_from_run(run_path: Path, preset: str) -> dict[str, Any]:
    """train_time.json of a finished run trained by ``OMP_NUM_THREADS=N python -m sr_core train --preset ...``:
    wall time and images/s from its metrics.csv (the train rows' elapsed_s, resumed segments laid end to end as
    the monitor's wall-time axis does), threads from ``OMP_NUM_THREADS``."""
    import csv
    import os

    import numpy as np

    from sr_core.monitor.series import wall_time

    cfg = json.loads((run_path / "config.json").read_text())["train"]
    status = json.loads((run_path / "status.json").read_text())
    if status.get("status") != "finished":
        raise SystemExit(f"{run_path} is {status.get('status')}, not finished; finish it with --resume")
    with (run_path / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    train = [r for r in rows if r["split"] == "train"]
    steps_col = np.array([float(r["step"]) for r in train])
    dt = float(wall_time(steps_col, np.array([float(r["elapsed_s"]) for r in train]))[-1])
    steps = int(status["step"])
    return {"train_s": round(dt, 1), "train_img_s": round(steps * cfg["batch_size"] / dt, 1), "steps": steps,
            "batch_size": cfg["batch_size"], "torch_threads": int(os.environ.get("OMP_NUM_THREADS", "1")),
            "preset": preset}


def ship_photo(name: str, run_path: Path, timing: dict[str, Any], log) -> dict[str, Any]:
    """A photo checkpoint: float16 weights where that moves the held-out mean Y-PSNR < 0.05 dB, eval.json = the photo benchmark on the
    held-out photos (Y, border shaved, vs bicubic; sr_core.imaging.photo_metrics)."""
    from sr_core.checkpoint import load_checkpoint, model_from_checkpoint
    from sr_core.imaging.photo_metrics import benchmark
    from sr_core.imaging.photo_eval import benchmark_images

    dest = OUT / name
    dest.mkdir(parents=True, exist_ok=True)
    ck = load_checkpoint(run_path / "checkpoint.pt")
    what, items = benchmark_images("photos", None)
    degradation = ck["train_config"]["degradation"]

    def mean_psnr(path: Path) -> float:
        return benchmark(model_from_checkpoint(path)[0], items, degradation=degradation)["mean"]["sr"]["psnr"]

    _save(shipped_checkpoint(ck, False, run_path.name), dest / ".fp32.pt.tmp")
    _save(shipped_checkpoint(ck, True, run_path.name), dest / ".fp16.pt.tmp")
    ref, half = mean_psnr(dest / ".fp32.pt.tmp"), mean_psnr(dest / ".fp16.pt.tmp")
    use16 = abs(half - ref) <= FP16_MAX_PSNR_DROP / 2  # the same margin as the Fashion-MNIST models
    log(f"[ship] {name}: held-out photo Y-PSNR fp32 {ref:.4f}, fp16 {half:.4f} -> {'float16' if use16 else 'float32'}")
    for f in (".fp32.pt.tmp", ".fp16.pt.tmp"):
        (dest / f).unlink()
    size = _save(shipped_checkpoint(ck, use16, run_path.name), dest / "checkpoint.pt")
    for f in ("config.json", "metrics.csv"):
        shutil.copyfile(run_path / f, dest / f)
    for f in ("preview_history.npz",):  # the monitor's preview history, when the run kept one
        if (run_path / f).is_file():
            shutil.copyfile(run_path / f, dest / f)
    (dest / "train_time.json").write_text(json.dumps(timing, indent=2))
    model, _ = model_from_checkpoint(dest / "checkpoint.pt")
    res = benchmark(model, items, degradation=degradation)
    res = {"dataset": "photos", "images": what, "fp32_psnr": ref, **res}
    (dest / "eval.json").write_text(json.dumps(json_safe(res), indent=2))
    m = res["mean"]
    log(f"[ship] {name}: {size / 1e6:.2f} MB, held-out photos Y-PSNR {m['sr']['psnr']:.2f} dB "
        f"(bicubic {m['bicubic']['psnr']:.2f}, gain {m['gain_db']:+.2f} dB)")
    return {"model": name, "bytes": size, "psnr": m["sr"]["psnr"], "ssim": m["sr"]["ssim"], **timing}


def ship(model_name: str, run_path: Path, timing: dict[str, Any], test: Any, fp16: str, log) -> dict[str, Any]:
    from sr_core.checkpoint import load_checkpoint

    dest = OUT / model_name
    dest.mkdir(parents=True, exist_ok=True)
    ck = load_checkpoint(run_path / "checkpoint.pt")
    ref_path = dest / ".fp32.pt.tmp"
    _save(shipped_checkpoint(ck, False, run_path.name), ref_path)
    ref = evaluate_file(ref_path, test, QUICK_LIMIT, full=False)["model"]["psnr"]
    use16 = fp16 == "always"
    if fp16 == "auto":
        half_path = dest / ".fp16.pt.tmp"
        _save(shipped_checkpoint(ck, True, run_path.name), half_path)
        half = evaluate_file(half_path, test, QUICK_LIMIT, full=False)["model"]["psnr"]
        use16 = abs(half - ref) <= FP16_MAX_PSNR_DROP / 2  # keep a margin below the 0.1 dB promise
        log(f"[ship] {model_name}: first-{QUICK_LIMIT} PSNR fp32 {ref:.4f}, fp16 {half:.4f} -> "
            f"{'float16' if use16 else 'float32'}")
        half_path.unlink()
    ref_path.unlink()
    size = _save(shipped_checkpoint(ck, use16, run_path.name), dest / "checkpoint.pt")
    shutil.copyfile(run_path / "config.json", dest / "config.json")
    shutil.copyfile(run_path / "metrics.csv", dest / "metrics.csv")
    if (run_path / "preview_history.npz").is_file():  # the monitor's step slider on shipped checkpoints
        shutil.copyfile(run_path / "preview_history.npz", dest / "preview_history.npz")
    (dest / "train_time.json").write_text(json.dumps(timing, indent=2))
    quick = evaluate_file(dest / "checkpoint.pt", test, QUICK_LIMIT, full=False)
    full = evaluate_file(dest / "checkpoint.pt", test, 0, full=True)
    full["fp32_first_2000_psnr"] = ref
    (dest / "eval_2000.json").write_text(json.dumps(json_safe(quick), indent=2))
    (dest / "eval.json").write_text(json.dumps(json_safe(full), indent=2))
    log(f"[ship] {model_name}: {size / 1e6:.2f} MB, test PSNR {full['model']['psnr']:.2f} dB, "
        f"SSIM {full['model']['ssim']:.3f}")
    return {"model": model_name, "bytes": size, "psnr": full["model"]["psnr"], "ssim": full["model"]["ssim"],
            **timing}


README_HEAD = """# Shipped checkpoints

One folder per model, each trained by the project's own training code on Fashion-MNIST (train split)
and evaluated on the 10,000-image test set (per-image PSNR/SSIM, data range 1; see `eval.json`).
Every folder holds `checkpoint.pt` (loads with `torch.load(..., weights_only=True)`; float16 weights
where that moves PSNR by less than 0.05 dB — `model_from_checkpoint` loads them back as float32; no
optimizer state), `config.json`, `metrics.csv`, `eval.json` (full test set), `eval_2000.json` (first
2,000 test images, checked by `tests/runs/test_shipped_checkpoints.py`) and `train_time.json`.

Reproduce all of them (one training at a time, CPU):

    SR_DATA_DIR=../shared/data python scripts/make_checkpoints.py --threads 1

or one model, e.g. `python scripts/make_checkpoints.py --models resnet-sr --threads 1` (the same training code
path as `python -m sr_core train --preset resnet-sr-long`; the preset of each model is in the table);
`--reuse` re-ships runs it trained before, without retraining.

| model | preset | reproduce | steps x batch | train time | train img/s | weights | size | PSNR | SSIM |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
"""


PHOTO_HEAD = """
## Photo models

Trained on 48×48 (CNN-VAE: 28×28) luminance patches of scikit-image's bundled sample photos
(`--dataset photos`, the fixed train list in `sr_core/photos.py`), scored on the held-out photos
(chelsea, rocket, coins) that no shipped model trains on: whole images, PSNR/SSIM on Y (BT.601 studio
range), 2 border pixels shaved, SSIM over valid windows (BasicSR's protocol), against bicubic from the same
LR. `eval.json` holds the per-image figures; reproduce with the command in the table (one torch thread),
then `python scripts/make_checkpoints.py --models NAME --reuse --threads 1` ships the run, and
`python -m sr_core eval assets/checkpoints/NAME/checkpoint.pt --dataset photos` re-scores it.

| name | model | reproduce | steps x batch | train time | train img/s | size | Y-PSNR | SSIM | bicubic | gain |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
"""


def write_readme(rows: list[dict[str, Any]]) -> None:
    lines = [README_HEAD]
    photo = [r for r in rows if "mean" in json.loads((OUT / r["model"] / "eval.json").read_text())]
    for r in photo:
        rows = [x for x in rows if x is not r]
    for r in rows:
        ev = json.loads((OUT / r["model"] / "eval.json").read_text())
        ck_dtype = r.get("weights", "")
        lines.append(f"| `{r['model']}` | `{r['preset']}` | `python -m sr_core train --preset {r['preset']}` | "
                     f"{r['steps']} x {r['batch_size']} | {r['train_s']:.0f} s ({r['torch_threads']} thread{'s' if r['torch_threads'] != 1 else ''}) | "
                     f"{r['train_img_s']:.0f} | {ck_dtype} | {r['bytes'] / 1e6:.2f} MB | "
                     f"{ev['model']['psnr']:.2f} | {ev['model']['ssim']:.3f} |\n")
    if photo:
        lines.append(PHOTO_HEAD)
    for r in photo:
        ev = json.loads((OUT / r["model"] / "eval.json").read_text())
        m = ev["mean"]
        lines.append(f"| `{r['model']}` | {json.loads((OUT / r['model'] / 'config.json').read_text())['train']['model']} | "
                     f"`OMP_NUM_THREADS={r['torch_threads']} python -m sr_core train --preset {r['preset']}` | "
                     f"{r['steps']} x {r['batch_size']} | {r['train_s']:.0f} s | {r['train_img_s']:.0f} | "
                     f"{r['bytes'] / 1e6:.2f} MB | {m['sr']['psnr']:.2f} | {m['sr']['ssim']:.4f} | "
                     f"{m['bicubic']['psnr']:.2f} / {m['bicubic']['ssim']:.4f} | {m['gain_db']:+.2f} dB |\n")
    total = sum((OUT / m / "checkpoint.pt").stat().st_size for m in SHIP if (OUT / m / "checkpoint.pt").is_file())
    lines.append(f"\nTotal checkpoint size: {total / 1e6:.2f} MB. Timings are wall-clock on a shared 2-core "
                 f"AMD EPYC VM, so they vary with load.\n")
    (OUT / "README.md").write_text("".join(lines))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(SHIP), help="comma-separated; default: all")
    p.add_argument("--runs-dir", default=str(ROOT / "runs" / "ship"), help="where the training runs go")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--threads", type=int, default=2, help="torch threads for training and evaluation")
    p.add_argument("--reuse", action="store_true", help="reuse finished runs in --runs-dir instead of retraining")
    p.add_argument("--fp16", choices=("auto", "never", "always"), default="auto",
                   help="store float16 weights: auto = only when PSNR moves < 0.05 dB")
    args = p.parse_args(argv)

    import torch

    from sr_core.presets import PRESETS
    from sr_core.data import load_split
    from sr_core.models import model_class
    from sr_core.photos import is_photo_dataset

    torch.set_num_threads(args.threads)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in SHIP:
            raise SystemExit(f"no shipping preset for '{m}'; choose from {', '.join(SHIP)}")
        model_class(PRESETS[SHIP[m]].model)
    test = None
    runs_dir = Path(args.runs_dir)
    for m in models:
        run_path, timing = train(m, runs_dir, args.data_dir, args.reuse, log)
        if is_photo_dataset(PRESETS[SHIP[m]].values.get("dataset", "fashion-mnist")):
            row = ship_photo(m, run_path, timing, log)
        else:
            test = test or load_split("fashion-mnist", train=False, data_dir=args.data_dir)
            row = ship(m, run_path, timing, test, args.fp16, log)
        print(json.dumps(row))
    rows = []
    for m in SHIP:  # README covers every shipped model, including ones shipped by earlier calls
        d = OUT / m
        if (d / "checkpoint.pt").is_file() and (d / "train_time.json").is_file():
            ck = torch.load(d / "checkpoint.pt", weights_only=True)
            rows.append({"model": m, "bytes": (d / "checkpoint.pt").stat().st_size,
                         "weights": ck["extra"]["shipped"]["weights_dtype"],
                         **json.loads((d / "train_time.json").read_text())})
    write_readme(rows)
    total = sum(r["bytes"] for r in rows)
    log(f"[ship] total {total / 1e6:.2f} MB in {OUT}")
    if total > MAX_TOTAL_BYTES:
        log(f"[ship] WARNING: over the {MAX_TOTAL_BYTES / 1e6:.1f} MB budget")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
