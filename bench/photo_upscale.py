"""Batch upscaling throughput: ``python -m sr_core upscale``'s loop (decode, SR on Y + bicubic chroma, PNG,
atomic write) over scikit-image's sample photos, per model, in megapixels per second.

    .venv/bin/python bench/photo_upscale.py              # resnet-sr, cvae-sr, cnn-vae over all 12 photos
    .venv/bin/python bench/photo_upscale.py --quick      # resnet-sr and cnn-vae over the 3 held-out photos

For each model: ``in_mpx_s`` (LR megapixels in per second, wall time of the whole batch, one warm-up file
first), ``out_mpx_s`` (= 4× in), and ``bound_s`` — the model's FLOPs for the batch (``FlopCounterMode`` on a
64×64 probe scaled by pixels; tiles × per-tile FLOPs for the fixed 14×14 CNN-VAEs) over the matmul rate
measured just before — with ``ratio`` = measured / bound. The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench._common import json_line, log
from bench.demo_latency import model_flops


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    import numpy as np
    import torch
    from PIL import Image

    from bench._common import matmul_flops_per_s
    from sr_core.imaging.batch import plan, run_batch
    from sr_core.runs.catalog import load_model
    from sr_core.photos import PHOTO_TEST, PHOTO_TRAIN, skimage_photo

    names = list(PHOTO_TEST) if args.quick else list(PHOTO_TRAIN + PHOTO_TEST)
    models = ("resnet-sr", "cnn-vae") if args.quick else ("resnet-sr", "cvae-sr", "cnn-vae")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        sizes = []
        for n in names:
            img = skimage_photo(n)
            Image.fromarray(np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)).save(src / f"{n}.png")
            sizes.append(img.shape[:2])
        in_px = sum(h * w for h, w in sizes)
        for m in models:
            model = load_model(m)
            pairs = plan([str(src)], Path(tmp) / m)
            run_batch(model, pairs[:1], progress=False, overwrite=True)  # warm-up
            rate = matmul_flops_per_s(torch.device("cpu"))
            flops = sum(model_flops(model, max(h, w), 1) * (h * w) / max(h, w) ** 2 for h, w in sizes)
            t0 = time.perf_counter()
            res = run_batch(model, pairs, progress=False, overwrite=True)
            dt = time.perf_counter() - t0
            bound = flops / rate
            results[m] = {"files": res["written"], "in_mpx": in_px / 1e6, "seconds": dt, "in_mpx_s": in_px / 1e6 / dt,
                          "out_mpx_s": 4 * in_px / 1e6 / dt, "bound_s": bound, "ratio": dt / bound,
                          "matmul_gflop_s": rate / 1e9}
            log(f"{m}: {res['written']} files, {in_px / 1e6:.2f} Mpx in, {dt:.2f} s, {in_px / 1e6 / dt:.3f} Mpx/s in "
                f"({4 * in_px / 1e6 / dt:.3f} out), FLOP bound {bound:.2f} s (x{dt / bound:.1f})")
    print(json_line({"bench": "photo_upscale", "photos": names, "threads": torch.get_num_threads(),
                     "mode": "lr (each photo is the LR input; 2x output)", "models": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
