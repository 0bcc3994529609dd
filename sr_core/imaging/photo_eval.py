"""``eval CKPT --dataset photos`` / ``--images DIR`` / a checkpoint trained on ``folder:PATH``: whole held-out
photographs under :data:`sr_core.imaging.photo_metrics.PROTOCOL_Y`, per image and mean, against bicubic."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from sr_core.errors import UserError
from sr_core.fs import atomic_write_text, json_safe
from sr_core.imaging.io import decode_image
from sr_core.imaging.photo_metrics import benchmark
from sr_core.photos import PHOTO_TEST, list_images, skimage_photo, split_files, trained_on


def iter_folder_images(root: Path, files: list[Path] | None = None, log: Any = None) -> Iterator[tuple[str, np.ndarray]]:
    """(relative name, float (H, W[, 3]) in [0, 1]) for each readable image under ``root`` (or ``files``),
    within the demo's limits; others are skipped with one line each and a count at the end."""
    log = log or (lambda s: print(s, file=sys.stderr))
    skipped = 0
    for f in files if files is not None else list_images(root):
        rel = f.relative_to(root).as_posix()
        try:
            yield rel, decode_image(f, name=rel).pixels
        except UserError as exc:
            log(f"skipped {exc}")
            skipped += 1
    if skipped:
        log(f"{skipped} file(s) skipped in {root}")


def benchmark_images(dataset: str | None, images_dir: str | None, limit: int = 0) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """(what was scored, [(name, HR image)]): ``--images DIR``, the ``photos`` test list, or a folder's test split."""
    if images_dir:
        root = Path(images_dir).expanduser()
        if not root.is_dir():
            raise UserError(f"--images {images_dir}: not a folder; give a folder of HR images (PNG, JPEG, ...)")
        items, what = list(iter_folder_images(root)), f"images in {root}"
    elif dataset == "photos":
        items, what = [(n, skimage_photo(n)) for n in PHOTO_TEST], "photos test list (scikit-image: " + ", ".join(PHOTO_TEST) + ")"
    elif dataset and dataset.startswith("folder:"):
        root = Path(dataset[7:]).expanduser()
        if not root.is_dir():
            raise UserError(f"{root} is not a folder; give --dataset folder:PATH with a folder of images")
        _, test, _, test_root = split_files(root)
        items, what = list(iter_folder_images(test_root, test)), f"held-out images of {dataset}"
    else:
        raise UserError(f"'{dataset}' is not a photo dataset; use --dataset photos, folder:PATH or --images DIR")
    items = items[:limit] if limit else items
    if not items:
        raise UserError(f"no usable image to score ({what}); add PNG/JPEG/WebP/BMP/TIFF files of at most the "
                        f"demo's size")
    return what, items


def eval_photos(model: Any, ckpt: dict[str, Any], path: Path, *, dataset: str | None, images_dir: str | None,
                limit: int, as_json: bool, out: str | None = None) -> int:
    """Run the photo benchmark and print a table (or one JSON object; ``out``: also written there as
    JSON, the caller has refused paths inside assets/); returns the exit code."""
    tcfg = ckpt.get("train_config") or {}
    degradation = tcfg.get("degradation", "box")
    what, items = benchmark_images(dataset, images_dir, limit)
    res = benchmark(model, items, degradation=degradation)
    res = {"protocol": res["protocol"], "checkpoint": str(path), "model_name": ckpt["model_name"],
           "step": ckpt.get("step"), "trained_on": trained_on(ckpt), "images": what,
           **{k: v for k, v in res.items() if k != "protocol"}}
    if out:
        atomic_write_text(Path(out), json.dumps(json_safe(res), indent=2))
    if as_json:
        print(json.dumps(json_safe(res)))
        return 0
    fmt = lambda v, d: "inf" if v == math.inf else f"{v:.{d}f}"  # noqa: E731
    print(f"{res['model_name']} @ step {res['step']} ({res['trained_on']}) on {what}, {res['n_images']} image(s), "
          f"{degradation} degradation")
    print(f"{'image':<32}{'size':>11}{'SR PSNR':>9}{'SSIM':>8}{'bicubic':>9}{'SSIM':>8}{'gain dB':>9}")
    for r in res["per_image"]:
        size = f"{r['size'][0]}×{r['size'][1]}"
        print(f"{r['name'][:31]:<32}{size:>11}{fmt(r['sr']['psnr'], 2):>9}{fmt(r['sr']['ssim'], 4):>8}"
              f"{fmt(r['bicubic']['psnr'], 2):>9}{fmt(r['bicubic']['ssim'], 4):>8}{fmt(r['gain_db'], 2):>9}")
    m = res["mean"]
    print(f"{'mean':<43}{fmt(m['sr']['psnr'], 2):>9}{fmt(m['sr']['ssim'], 4):>8}{fmt(m['bicubic']['psnr'], 2):>9}"
          f"{fmt(m['bicubic']['ssim'], 4):>8}{fmt(m['gain_db'], 2):>9}")
    print(f"Protocol: {res['protocol']}")
    return 0
