"""Photo quality: every shipped photo model (and, for reference, the Fashion-MNIST resnet-sr) against
bicubic on scikit-image's held-out photos (chelsea, rocket, coins), per image and mean, under the photo
protocol (Y channel, 2 border pixels shaved, SSIM over valid windows as BasicSR; whole images; bicubic from
the same LR), with each model's training time and patches/s from its ``train_time.json``.

    .venv/bin/python -m bench.photo_quality                 # all shipped models
    .venv/bin/python -m bench.photo_quality --models resnet-sr-photo

The issue's target: the best shipped photo model >= +2.5 dB over bicubic (mean over the held-out photos).
The last line printed is one JSON object: {"models": {name: {mean, per_image, trained_on, train_s,
train_patches_s}}, "best": name, "best_gain_db", "target_gain_db": 2.5, "target_met", "protocol"}.
"""
from __future__ import annotations

import argparse
import json
import time

from bench._common import json_line, log

TARGET_GAIN_DB = 2.5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="", help="comma-separated shipped names (default: photo models + resnet-sr)")
    args = ap.parse_args(argv)

    from sr_core.checkpoint import model_from_checkpoint
    from sr_core.imaging.photo_metrics import PROTOCOL_Y, benchmark
    from sr_core.imaging.photo_eval import benchmark_images
    from sr_core.photos import is_photo_dataset, trained_on
    from sr_core.runs.shipped import shipped_checkpoints

    shipped = shipped_checkpoints()
    names = [m for m in args.models.split(",") if m]
    if not names:
        names = [n for n, p in shipped.items()
                 if is_photo_dataset(json.loads((p.parent / "config.json").read_text())["train"].get("dataset", ""))]
        names += ["resnet-sr"] if "resnet-sr" in shipped else []
    missing = [n for n in names if n not in shipped]
    if missing:
        raise SystemExit(f"not shipped: {', '.join(missing)}; choose from {', '.join(shipped)}")
    what, items = benchmark_images("photos", None)
    results = {}
    for name in names:
        model, ckpt = model_from_checkpoint(shipped[name])
        t0 = time.perf_counter()
        res = benchmark(model, items, degradation="bicubic")
        timing_path = shipped[name].parent / "train_time.json"
        timing = json.loads(timing_path.read_text()) if timing_path.is_file() else {}
        results[name] = {"trained_on": trained_on(ckpt), "mean": res["mean"],
                         "per_image": {r["name"]: {"sr_psnr": r["sr"]["psnr"], "sr_ssim": r["sr"]["ssim"],
                                                   "bicubic_psnr": r["bicubic"]["psnr"], "gain_db": r["gain_db"]}
                                       for r in res["per_image"]},
                         "score_s": round(time.perf_counter() - t0, 2), "train_s": timing.get("train_s"),
                         "train_patches_s": timing.get("train_img_s"), "torch_threads": timing.get("torch_threads")}
        m = res["mean"]
        log(f"{name:<18} {results[name]['trained_on']}")
        for r in res["per_image"]:
            log(f"  {r['name']:<10} SR {r['sr']['psnr']:6.2f} dB  bicubic {r['bicubic']['psnr']:6.2f} dB  "
                f"gain {r['gain_db']:+5.2f} dB")
        log(f"  {'mean':<10} SR {m['sr']['psnr']:6.2f} dB  bicubic {m['bicubic']['psnr']:6.2f} dB  "
            f"gain {m['gain_db']:+5.2f} dB  (SSIM {m['sr']['ssim']:.4f} vs {m['bicubic']['ssim']:.4f})")
    photo = {n: r for n, r in results.items() if "photos" in r["trained_on"]}
    best = max(photo, key=lambda n: photo[n]["mean"]["gain_db"]) if photo else None
    gain = photo[best]["mean"]["gain_db"] if best else None
    log(f"Protocol: {PROTOCOL_Y}; images: {what}")
    print(json_line({"models": results, "best": best, "best_gain_db": gain, "target_gain_db": TARGET_GAIN_DB,
                     "target_met": bool(gain is not None and gain >= TARGET_GAIN_DB), "protocol": PROTOCOL_Y,
                     "images": what}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
