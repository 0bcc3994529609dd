"""Quality benchmark: every model against nearest and bicubic on the test set, in one table.

For each model it trains the model's default preset (or, with ``--pretrained``, loads the shipped
checkpoint from :data:`sr_core.runs.shipped.SHIPPED_DIR`) and evaluates it per image on the test set
(protocol: :data:`sr_core.metrics.PROTOCOL`): PSNR, SSIM, LR-PSNR, the high-frequency energy share
(:func:`sr_core.spectra.hf_energy_share`), and for stochastic models the diversity (mean per-pixel std
over 8 samples) and the best-of-8 PSNR. Every model is also scored with the LR-consistent projection
(``+proj`` rows), class-conditioned ones with their own predicted labels (``+pred``; the plain row
uses the dataset's labels), stochastic ones at each of ``--temperatures`` (``@T=`` rows).

    python bench/quality.py --pretrained                     # shipped checkpoints, full test set
    python bench/quality.py --pretrained --dataset mnist     # cross-dataset: trained on Fashion-MNIST
    python bench/quality.py --models resnet-sr --threads 2   # train the preset, then evaluate
    python bench/quality.py --dry-run                        # seconds: tiny training, 200 images

The table goes to stdout; the last line is one JSON object keyed by method/model (plus ``targets``).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import json_line, log

DEFAULT_MODELS = ("cnn-vae-paper", "cnn-vae", "cnn-vae-class", "resnet-sr", "cvae-sr")
# The preset trained without --pretrained: each model's default, a few minutes on CPU (the shipped
# resnet-sr and cvae-sr come from their 4x longer -long presets: see scripts/make_checkpoints.py).
MODEL_PRESET = {"cnn-vae-paper": "paper", "cnn-vae": "quick", "cnn-vae-class": "cnn-vae-class",
                "resnet-sr": "resnet-sr", "cvae-sr": "cvae-sr"}
# The targets (Fashion-MNIST test set, 2x2 box LR, per-image PSNR, data range 1).
TARGET_RESNET_PSNR, TARGET_RESNET_SSIM = 26.5, 0.93
TARGET_CVAE_GAP_DB, TARGET_PROJ_LR_PSNR = 1.0, 45.0
COLUMNS = (("PSNR", "psnr", 7, 2), ("SSIM", "ssim", 7, 3), ("LR-PSNR", "lr_psnr", 9, 2), ("HF", "hf_share", 7, 4),
           ("div", "diversity", 7, 4), ("best8", "best_of_8_psnr", 7, 2), ("acc", "accuracy", 6, 3),
           ("train s", "train_s", 9, 0), ("tr img/s", "train_img_s", 9, 0), ("SR img/s", "sr_img_s", 9, 0))


def train_preset(name: str, args: argparse.Namespace, runs_dir: str) -> tuple[Any, dict[str, float]]:
    """Train ``name``'s preset through the project's own trainer; returns (model, timing)."""
    from sr_core.presets import preset_config
    from sr_core.runs.jobs import prepare_run

    extra = dict(steps=20, eval_every=10, eval_limit=200, checkpoint_every=10) if args.dry_run else {}
    cfg = preset_config(MODEL_PRESET.get(name, "quick"), model=name, device=args.device, **extra)
    trainer, run = prepare_run(cfg, runs_dir=runs_dir, name=f"quality-{name}-{int(time.time())}",
                               data_dir=args.data_dir, command=sys.argv)
    t0 = time.perf_counter()
    if (status := trainer.run()) != "finished":
        raise RuntimeError(f"training {name} ended with status '{status}'")
    dt = time.perf_counter() - t0
    log(f"[quality] trained {name}: {trainer.step} steps in {dt:.1f} s, run {run.path}")
    return trainer.model.eval(), {"train_s": dt, "train_img_s": trainer.step * cfg.batch_size / dt,
                                  "steps": trainer.step}


def load_pretrained(name: str, device: str) -> tuple[Any, dict[str, float]]:
    """The shipped checkpoint of ``name`` and its recorded training time."""
    from sr_core.checkpoint import model_from_checkpoint
    from sr_core.runs.shipped import SHIPPED_DIR

    model, _ = model_from_checkpoint(SHIPPED_DIR / name / "checkpoint.pt", map_location=device)
    timing = SHIPPED_DIR / name / "train_time.json"
    return model, json.loads(timing.read_text()) if timing.is_file() else {}


def sr_throughput(model: Any, split: Any, device: str, n: int = 2000, batch: int = 500) -> float:
    """Images per second of ``super_resolve`` (LR -> SR) over ``n`` test images, after one warm-up batch."""
    import torch

    from sr_core.degrade import box_downsample

    n = min(n, len(split))
    lr = box_downsample(split.hr(slice(0, n), device))  # (n, 1, 14, 14)
    gen = torch.Generator(device=device).manual_seed(0)
    with torch.no_grad():
        model.super_resolve(lr[:batch], generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            model.super_resolve(lr[i:i + batch], generator=gen)
        return n / (time.perf_counter() - t0)


def target_checks(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target whose models were evaluated: {"target", "value", "met", "margin"} (margin > 0 = met by)."""
    out: list[dict[str, Any]] = []

    def check(target: str, value: float, margin: float, also: bool = True) -> None:
        out.append({"target": target, "value": round(value, 4), "met": margin >= 0 and also,
                    "margin": round(margin, 4)})

    res, cvae = results.get("resnet-sr"), results.get("cvae-sr")
    if res:
        check(f"resnet-sr PSNR >= {TARGET_RESNET_PSNR} dB", res["psnr"], res["psnr"] - TARGET_RESNET_PSNR)
        check(f"resnet-sr SSIM >= {TARGET_RESNET_SSIM}", res["ssim"], res["ssim"] - TARGET_RESNET_SSIM)
    if res and cvae:
        for key, entry in [("default T", cvae)] + [(k, v) for k, v in cvae.items() if k.startswith("T=")]:
            gap = res["psnr"] - entry["psnr"]
            check(f"cvae-sr ({key}) mean-sample PSNR within {TARGET_CVAE_GAP_DB:g} dB of resnet-sr, "
                  f"diversity {entry.get('diversity', 0):.4f} > 0", gap, TARGET_CVAE_GAP_DB - gap,
                  also=entry.get("diversity", 0) > 0)
    if cvae:
        lr = cvae["projection"]["lr_psnr"]
        check(f"cvae-sr LR-PSNR with projection >= {TARGET_PROJ_LR_PSNR:g} dB", lr, lr - TARGET_PROJ_LR_PSNR)
    if results.get("cnn-vae-class") and results.get("cnn-vae"):
        diff = results["cnn-vae-class"]["psnr"] - results["cnn-vae"]["psnr"]
        check("cnn-vae-class PSNR above cnn-vae", diff, diff)
    return out


def score(name: str, model: Any, timing: dict[str, Any], test: Any, args: argparse.Namespace,
          limit: int) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Evaluate one model: (its JSON entry, its table rows, the evaluation with the baselines)."""
    from sr_core.evaluate import evaluate

    def run(temperature: float | None = None) -> dict[str, Any]:
        return evaluate(model, test, limit=limit, device=args.device, samples=args.samples, projection=True,
                        hf_share=True, temperature=temperature)

    t0 = time.perf_counter()
    ev = run()
    log(f"[quality] evaluated {name} on {ev['n_images']} {args.dataset} test images in {time.perf_counter() - t0:.1f} s")
    entry = dict(ev["model"], parameters=model.num_parameters(), source="pretrained" if args.pretrained else "trained",
                 sr_img_s=sr_throughput(model, test, args.device), **timing)
    entry.update(hr_hf_share=ev["hr"]["hf_share"], projection=ev["model+projection"])
    rows = [(name, entry), (f"{name}+proj", ev["model+projection"])]
    if "model+predicted_labels" in ev:
        entry["predicted_labels"] = ev["model+predicted_labels"]
        rows.append((f"{name}+pred", ev["model+predicted_labels"]))
    for t in (args.temperatures if model.stochastic else []):
        evt = run(t)
        entry[f"T={t:g}"] = dict(evt["model"], projection=evt["model+projection"])
        rows += [(f"{name}@T={t:g}", evt["model"]), (f"{name}@T={t:g}+proj", evt["model+projection"])]
    if "reconstruction" in ev:
        entry["reconstruction"] = ev["reconstruction"]
    return entry, rows, ev


def cell(v: Any, width: int, digits: int) -> str:
    if v is None:
        return "—".rjust(width)
    return "inf".rjust(width) if v == float("inf") else f"{v:{width}.{digits}f}"


def print_table(base: dict[str, Any], rows: list[tuple[str, dict[str, Any]]], args: argparse.Namespace) -> None:
    print(f"Quality on {base['n_images']} {args.dataset} test images "
          f"({'shipped checkpoints' if args.pretrained else 'trained now'}); "
          f"HR high-frequency share {base['hr']['hf_share']:.4f}")
    head = f"{'method':<26}" + "".join(f"{title:>{width}}" for title, _, width, _ in COLUMNS)
    print(head + "\n" + "-" * len(head))
    for label, r in [("nearest", base["nearest"]), ("bicubic", base["bicubic"])] + rows:
        print(f"{label:<26}" + "".join(cell(r.get(key), width, digits) for _, key, width, digits in COLUMNS))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated registry names")
    p.add_argument("--pretrained", action="store_true", help="evaluate the shipped checkpoints")
    p.add_argument("--dataset", default="fashion-mnist", choices=("fashion-mnist", "mnist"),
                   help="test set to evaluate on (models are always trained on Fashion-MNIST)")
    p.add_argument("--limit", type=int, default=0, help="first N test images (0 = all)")
    p.add_argument("--samples", type=int, default=8, help="samples per image for stochastic models")
    p.add_argument("--temperatures", default="", help="extra temperatures for stochastic models, e.g. 0,0.5")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--runs-dir", default=None, help="where training runs go (default: a temporary folder)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    p.add_argument("--dry-run", action="store_true", help="20 training steps and 200 test images")
    args = p.parse_args(argv)
    args.temperatures = [float(t) for t in args.temperatures.split(",") if t]
    import torch

    from sr_core.data import load_split

    if args.threads:
        torch.set_num_threads(args.threads)
    limit = 200 if args.dry_run and not args.limit else args.limit
    test = load_split(args.dataset, train=False, data_dir=args.data_dir)
    runs_dir = args.runs_dir or tempfile.mkdtemp(prefix="sr-quality-")
    results: dict[str, Any] = {}
    rows: list[tuple[str, dict[str, Any]]] = []
    base: dict[str, Any] = {}
    for name in (m for m in args.models.split(",") if m):
        model, timing = (load_pretrained(name, args.device) if args.pretrained else train_preset(name, args, runs_dir))
        results[name], model_rows, ev = score(name, model, timing, test, args, limit)
        rows += model_rows
        base = base or ev
    if not base:
        p.error("no models given")
    results.update(nearest=base["nearest"], bicubic=base["bicubic"], hr=base["hr"])
    print_table(base, rows, args)
    checks = target_checks(results) if args.dataset == "fashion-mnist" else []
    for c in checks:
        verdict = "met" if c["met"] else ("MISSED (no diversity)" if c["margin"] >= 0 else "MISSED")
        print(f"target: {c['target']}: {c['value']:.3f} -> {verdict} (margin {c['margin']:+.3f})")
    if checks:
        results["targets"] = {c["target"]: c for c in checks}
    print(json_line(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
