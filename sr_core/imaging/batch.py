"""``python -m sr_core upscale INPUT... --out DIR [--model NAME]``: super-resolve files and folders 2×.

* Model: ``auto`` by default, per file, as the demo/API decide (:mod:`sr_core.runs.auto`: a photo model for a
  photograph, the Fashion-MNIST resnet-sr for a 28×28 grey image); or any name the catalog resolves. The log
  says which checkpoint and what it was trained on (with ``auto``, again whenever the choice changes).

* Inputs: files (any name; tried as images) and folders (recursive; files with an image suffix). A folder's
  images go to ``DIR/<path inside the folder>``, a file to ``DIR/<its name>``, always as lossless PNG
  (``photo.jpg`` -> ``photo.png``; if two inputs would collide, the later keeps its suffix: ``photo.jpg.png``).
* Each output is exactly what the HTTP API (``demo.py`` ``/upscale``) returns for the same file and settings:
  :func:`sr_core.upscale.upscale` (SR on Y, chroma bicubic, tiled at any size within the demo's limits,
  :data:`sr_core.imaging.io.LIMITS_TEXT`) and :func:`sr_core.imaging.io.encode_png`; the same defaults (seed 0,
  temperature 0.5 for models that take one). Written atomically.
* Resumable: an existing output is skipped unless ``--overwrite``. Bad files (unreadable, too large) are
  skipped with one line each and counted at the end; the exit code is 1 when any file was skipped as bad.
* ``--mode truth``: each file is the HR truth, shrunk 2× first; the SR image and bicubic are scored under
  :data:`sr_core.imaging.photo_metrics.PROTOCOL_Y`, per file and mean (``--json``: one JSON object at the end).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Callable

from sr_core.errors import UserError
from sr_core.fs import atomic_write_bytes, json_safe
from sr_core.runs.catalog import SHIPPED_DISPLAY, load_model, load_path, resolve
from sr_core.runs.trained_on import trained_on_text

API_TEMPERATURE = 0.5  # demo.py api_upscale's default


def add_upscale_parser(sub: Any) -> None:
    """Register the ``upscale`` subcommand on the CLI's subparsers."""
    u = sub.add_parser("upscale", help="super-resolve image files and folders 2× (batch; resumable)")
    u.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and/or folders (recursive)")
    u.add_argument("--out", required=True, metavar="DIR", help="output folder (mirrors the input tree; PNG)")
    u.add_argument("--model", default="auto",
                   help="auto (default: per file, a photo model for photographs, the Fashion-MNIST resnet-sr for "
                        "28×28 grey images), a shipped model (e.g. resnet-sr), run:NAME, or a checkpoint path")
    u.add_argument("--mode", choices=("lr", "truth"), default="lr",
                   help="lr: the file is the low-resolution input (default); truth: shrink it 2× first and score")
    u.add_argument("--degradation", choices=("box", "bicubic"), default="box", help="truth mode's shrink")
    u.add_argument("--temperature", type=float, default=API_TEMPERATURE, help="for models that take one")
    u.add_argument("--seed", type=int, default=0)
    u.add_argument("--overwrite", action="store_true", help="redo outputs that already exist")
    u.add_argument("--runs-dir")
    u.add_argument("--json", action="store_true", help="print one JSON object (counts, scores) at the end")
    u.add_argument("--no-progress", action="store_true")


def plan(inputs: list[str], out: Path) -> list[tuple[Path, Path]]:
    """[(input file, output file)] for files and folders (see the module docstring)."""
    from sr_core.photos import SUFFIXES, list_images  # local: torch-free CLI start
    pairs: list[tuple[Path, Path]] = []
    taken: set[Path] = set()
    for item in inputs:
        src = Path(item).expanduser()
        if src.is_dir():
            rels = [(f, f.relative_to(src)) for f in list_images(src) if f.suffix.lower() in SUFFIXES + (".gif",)]
        elif src.is_file():
            rels = [(src, Path(src.name))]
        else:
            raise UserError(f"{item}: no such file or folder; give image files or folders")
        for f, rel in rels:
            dst = out / rel.with_suffix(".png")
            if dst in taken:
                dst = out / rel.parent / (rel.name + ".png")
            taken.add(dst)
            pairs.append((f, dst))
    if not pairs:
        raise UserError(f"no image files in {', '.join(inputs)} (PNG, JPEG, WebP, BMP, TIFF, GIF)")
    return pairs


def load_named_model(name: str, runs_dir: str | None = None) -> Any:
    """A model by catalog name (shipped / run:NAME, as the demo) or by checkpoint path."""
    return load_model(name, runs_dir)


Pick = Callable[[Any], tuple[Any, str, str]]


def model_picker(name: str, runs_dir: str | None = None) -> Pick:
    """image -> (model, checkpoint name, "NAME (trained on DATA)" or auto's note): the named model for every
    file, or with ``auto`` the shipped checkpoint :func:`sr_core.runs.auto.default_model_for` picks for each
    image — the same choice as the API's. A name that does not resolve is a UserError here, before any file."""
    from sr_core.runs.auto import default_model_for, is_auto  # local: numpy-free CLI start
    if is_auto(name):
        def pick(image: Any) -> tuple[Any, str, str]:
            chosen, note = default_model_for(image)
            return load_path(resolve(SHIPPED_DISPLAY + chosen))[0], chosen, note
        pick.per_file = True  # type: ignore[attr-defined]  # run_batch names the file where the choice changes
        return pick
    model, info = load_path(resolve(name, runs_dir))
    line = f"model: {name} (trained on {trained_on_text(info.get('train_config') or {})})"
    return lambda image: (model, name, line)


def upscale_file(model: Any, src: Path, *, mode: str = "lr", degradation: str = "box",
                 temperature: float | None = API_TEMPERATURE, seed: int = 0, decoded: Any = None) -> tuple[bytes, Any]:
    """(PNG bytes of the SR image, the :class:`UpscaleResult`) of one file, as the API computes them
    (``decoded``: the file already decoded)."""
    from sr_core.imaging.io import decode_image, encode_png  # local: numpy/PIL-free CLI start
    from sr_core.imaging.upscale import upscale  # local: torch-free CLI start
    decoded = decoded if decoded is not None else decode_image(src, name=src.name)  # temperature: the model clamps it
    r = upscale(model, decoded, mode=mode, degradation=degradation, temperature=temperature, samples=1, seed=int(seed) % 2**32)
    return encode_png(r.sr), r


def _pixels(path: Path) -> int:
    from sr_core.photos import _header_pixels  # local: torch-free CLI start
    try:
        return _header_pixels(path)
    except Exception:
        return 0


def run_batch(model: Any, pairs: list[tuple[Path, Path]], *, mode: str = "lr", degradation: str = "box",
              temperature: float | None = API_TEMPERATURE, seed: int = 0, overwrite: bool = False,
              progress: bool = True, log: Any = None, pick: Pick | None = None) -> dict[str, Any]:
    """Upscale every (input, output) pair with ``model``, or with the model ``pick`` (:func:`model_picker`)
    chooses per file; returns counts, ``models`` ({checkpoint name: files}), per-file scores (truth mode)
    and means."""
    from tqdm import tqdm  # local: tqdm only when a progress bar is shown
    from sr_core.imaging.io import decode_image  # local: numpy/PIL-free CLI start
    from sr_core.imaging.photo_metrics import PROTOCOL_Y, score  # local: torch-free CLI start
    log = log or (lambda s: tqdm.write(s, file=sys.stderr))
    sizes = [_pixels(src) for src, _ in pairs]
    bar = tqdm(total=sum(sizes), unit="px", unit_scale=True, desc="upscale", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    written, existing, bad, scores = 0, 0, 0, []
    used: dict[str, int] = {}
    last_line = None
    try:
        for (src, dst), px in zip(pairs, sizes):
            if dst.exists() and not overwrite:
                existing += 1
            else:
                try:
                    decoded = decode_image(src, name=src.name)
                    use, name, line = pick(decoded) if pick is not None else (model, "", "")
                    if line and line != last_line:  # auto: say it again whenever the choice changes
                        log(f"{src}: {line}" if getattr(pick, "per_file", False) else line)
                        last_line = line
                    png, r = upscale_file(use, src, mode=mode, degradation=degradation, temperature=temperature,
                                          seed=seed, decoded=decoded)
                except UserError as exc:
                    log(f"skipped {exc}")
                    bad += 1
                else:
                    if name:
                        used[name] = used.get(name, 0) + 1
                    atomic_write_bytes(dst, png)
                    written += 1
                    if mode == "truth":
                        row = {"file": str(src), "sr": score(r.sr, r.truth), "bicubic": score(r.bicubic, r.truth)}
                        row["gain_db"] = row["sr"]["psnr"] - row["bicubic"]["psnr"]
                        scores.append(row)
                        log(f"{src}: SR {row['sr']['psnr']:.2f} dB / bicubic {row['bicubic']['psnr']:.2f} dB "
                            f"(gain {row['gain_db']:+.2f} dB, Y protocol)")
            bar.update(px)
            bar.set_postfix(files=f"{written + existing + bad}/{len(pairs)}")
    finally:
        bar.close()
    out: dict[str, Any] = {"written": written, "existing_skipped": existing, "bad_skipped": bad, "files": len(pairs),
                           "models": used}
    if mode == "truth":
        mean = lambda k: sum(s[k]["psnr"] for s in scores) / len(scores) if scores else math.nan  # noqa: E731
        out.update(protocol=PROTOCOL_Y, degradation=degradation, scores=scores,
                   mean={"sr_psnr": mean("sr"), "bicubic_psnr": mean("bicubic"),
                         "gain_db": mean("sr") - mean("bicubic")})
    return out


def cmd_upscale(args: argparse.Namespace) -> int:
    """The ``upscale`` subcommand; exit 0, or 1 when some files were bad (skipped), 2 for usage errors."""
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {args.out} is a file; give a folder (it is created if missing)")
    pairs = plan(args.inputs, out)
    pick = model_picker(args.model, args.runs_dir)
    res = run_batch(None, pairs, mode=args.mode, degradation=args.degradation, temperature=args.temperature,
                    seed=args.seed, overwrite=args.overwrite, progress=not args.no_progress, pick=pick)
    if args.json:
        print(json.dumps(json_safe({"model": args.model, "out": str(out), **res})))
    else:
        print(f"{res['written']} written, {res['existing_skipped']} already there (skipped; --overwrite redoes them), "
              f"{res['bad_skipped']} bad file(s) skipped -> {out}"
              + (f"; models: {', '.join(f'{k} ×{v}' for k, v in res['models'].items())}" if res["models"] else ""),
              file=sys.stderr)
        if args.mode == "truth" and res["scores"]:
            m = res["mean"]
            print(f"mean over {len(res['scores'])} file(s): SR {m['sr_psnr']:.2f} dB, bicubic {m['bicubic_psnr']:.2f} dB, "
                  f"gain {m['gain_db']:+.2f} dB; Protocol: {res['protocol']}")
    return 1 if res["bad_skipped"] else 0
