"""Several models side by side on a few test images: what the Compare page's grid shows.

Plain functions of ``{label: model}`` and a split, no Streamlit. The first model is the *primary*:
ranking by PSNR, the full-VAE reconstruction column and the error map refer to it. Options apply to
every model: ``projection`` adds each model's LR-consistent projection (:mod:`sr_core.projection`,
box degradation only), ``temperature`` goes to the models that take one (e.g. ``cvae-sr``).
Metrics follow :data:`sr_core.metrics.PROTOCOL` (per image, data range 1, no crop, mean over the set).
The set-level table lives in :mod:`ui.set_level`.
"""
from __future__ import annotations

import html
import re
from typing import Any, Mapping

import numpy as np
import torch

from sr_core.data import Split
from sr_core.degrade import get_degradation
from sr_core.errors import UserError
from sr_core.evaluate import predict
from sr_core.metrics import lr_psnr, psnr, ssim

from ui.images import heat_png, png_bytes
from ui.indices import parse_indices  # noqa: F401 (re-exported: callers use compare.parse_indices)

#: How the grid's test images are chosen: control value -> label shown.
SELECTION_MODES = {"index": "By index", "class": "By class", "random": "Random", "worst": "Worst PSNR",
                   "best": "Best PSNR"}
RANKED_MODES = ("worst", "best")  # need the primary model's set-level PSNR
HR_SCALE, LR_SCALE = 4, 8  # both show as 112 px
ERROR_VMAX = 0.5  # |SR − HR| of 0.5 or more shows at full brightness


def projection_available(degradation: str) -> bool:
    """The exact back-projection exists for 2x2 box averaging only."""
    return degradation == "box"


# ---------------------------------------------------------------- the sample grid

@torch.no_grad()
def compare_grid(models: Mapping[str, Any], split: Split, indices: list[int], *, degradation: str = "box",
                 projection: bool = False, temperature: float | None = None, seed: int = 0) -> dict[str, Any]:
    """Images and per-image metrics for test images ``indices`` and every model.

    Returns ``indices``, ``labels`` (class names) and ``columns``: a list of dicts with ``key``,
    ``title``, ``images`` (B, H, W) numpy in [0, 1] (``lr`` is 14x14, the rest 28x28), and, for SR
    columns, ``psnr`` / ``ssim`` / ``lr_psnr`` (B,) against HR / the LR input. Column order: HR, LR,
    the primary's reconstruction (if it has one), per model its SR (and SR + projection), bicubic,
    and ``error`` = |primary SR - HR|.
    """
    if not models:
        raise ValueError("compare_grid needs at least one model")
    hr = split.hr(indices)  # (B, 1, 28, 28)
    labels = split.labels[indices]
    degrade = get_degradation(degradation)
    project = projection and projection_available(degradation)
    cols: list[dict[str, Any]] = []
    lr = degrade(hr)  # (B, 1, 14, 14)

    def add(key: str, title: str, img: torch.Tensor, scored: bool = True) -> None:
        col: dict[str, Any] = {"key": key, "title": title, "images": img.squeeze(1).float().cpu().numpy()}
        if scored:
            col["psnr"] = psnr(img, hr).cpu().numpy()
            col["ssim"] = ssim(img, hr).cpu().numpy()
            col["lr_psnr"] = lr_psnr(img, lr, degrade).cpu().numpy()
        cols.append(col)

    add("hr", "HR (truth)", hr, scored=False)
    add("lr", "LR input", lr, scored=False)
    outs = {}
    for label, model in models.items():
        device = next(model.parameters()).device
        outs[label] = predict(model, hr.to(device), degradation, labels.to(device), seed=seed,
                              projection=project, temperature=model.clamp_temperature(temperature))
    first = next(iter(models))
    if "recon" in outs[first]:
        add("recon", "Full-VAE reconstruction", outs[first]["recon"].cpu())
    for label, out in outs.items():
        add(f"sr:{label}", f"SR · {label}", out["sr"].cpu())
        if "sr_projected" in out:
            add(f"proj:{label}", f"SR + projection · {label}", out["sr_projected"].cpu())
    add("bicubic", "Bicubic", outs[first]["bicubic"].cpu())
    add("error", f"|SR − HR| · {first}", (outs[first]["sr"].cpu() - hr).abs(), scored=False)
    return {"indices": list(indices), "labels": [split.classes[int(c)] for c in labels.tolist()], "columns": cols}


# ---------------------------------------------------------------- diversity

@torch.no_grad()
def diversity_samples(model: Any, lr: torch.Tensor, n: int, *, labels: torch.Tensor | None = None,
                      temperature: float | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` SR samples of one LR image (1, 1, h, w) at ``temperature`` and their per-pixel std.

    Sample i uses a generator seeded with ``seed + i``. Returns (samples (n, 2h, 2w), std (2h, 2w)),
    values in [0, 1].
    """
    device = next(model.parameters()).device
    lr = lr.to(device)
    kw = {"temperature": model.clamp_temperature(temperature)} if model.takes_temperature else {}
    outs = []
    for i in range(int(n)):
        gen = torch.Generator(device=device).manual_seed(int(seed) + i)
        outs.append(model.super_resolve(lr, labels=labels, generator=gen, **kw).clamp(0, 1)[0, 0])
    stack = torch.stack(outs).float().cpu().numpy()  # (n, 2h, 2w)
    return stack, stack.std(axis=0)


def diversity_pngs(model: Any, split: Split, idx: int, n: int, *, degradation: str = "box",
                   temperature: float | None = None) -> tuple[list[bytes], bytes, float]:
    """PNGs (4× zoom) of ``n`` SR samples of test image ``idx``'s LR image and the heat map of their
    per-pixel std; returns (samples, std map, the std's max: the map's full brightness)."""
    lr = get_degradation(degradation)(split.hr([idx]))  # (1, 1, 14, 14)
    samples, std = diversity_samples(model, lr, n, labels=split.labels[[idx]], temperature=temperature)
    vmax = max(float(std.max()), 1e-6)
    return [png_bytes(x, HR_SCALE) for x in samples], heat_png(std, vmax, HR_SCALE), vmax


# ---------------------------------------------------------------- choosing samples

def select_indices(mode: str, split: Split, *, count: int = 6, indices: str = "0", class_index: int = 0,
                   seed: int = 0, psnr_values: np.ndarray | None = None) -> list[int]:
    """Test-image indices for a selection ``mode`` (a key of :data:`SELECTION_MODES`).

    ``worst`` / ``best`` rank the images scored in ``psnr_values`` (the first ``len(psnr_values)``
    test images, model PSNR) and return the ``count`` lowest / highest.
    """
    n = len(split)
    count = max(1, int(count))
    if mode == "index":
        return parse_indices(indices, n)  # ui.indices: bounds checked before any list is built
    if mode == "class":
        hits = torch.nonzero(split.labels == int(class_index)).flatten().tolist()
        return hits[:count]
    if mode == "random":
        g = torch.Generator().manual_seed(int(seed))
        return torch.randperm(n, generator=g)[:count].tolist()
    if mode in RANKED_MODES:
        if psnr_values is None or len(psnr_values) == 0:
            raise UserError("no per-image PSNR available yet; wait for the set-level metrics of the first model")
        v = np.nan_to_num(np.asarray(psnr_values, dtype=np.float64), nan=-np.inf)
        order = np.argsort(v, kind="stable")
        picked = order[:count] if mode == "worst" else order[::-1][:count]
        return [int(i) for i in picked]
    raise UserError(f"unknown selection '{mode}'; choose one of: {', '.join(SELECTION_MODES)}")


# ---------------------------------------------------------------- laying the grid out

#: A projection that moves no pixel by more than this (half an 8-bit step) changes nothing visible.
SAME_TOL = 0.5 / 255


def already_consistent(columns: list[dict[str, Any]]) -> list[str]:
    """Labels of the models whose "SR + projection" images equal their SR images (max |diff| ≤
    :data:`SAME_TOL` on every sample): the model is already LR-consistent, so the projected cell
    would repeat the SR cell."""
    by_key = {c["key"]: c for c in columns}
    same = []
    for key, col in by_key.items():
        if key.startswith("proj:") and f"sr:{key[5:]}" in by_key:
            if float(np.abs(col["images"] - by_key[f"sr:{key[5:]}"]["images"]).max()) <= SAME_TOL:
                same.append(key[5:])
    return same


def consistent_note(labels: list[str]) -> str:
    """Why the models ``labels`` (see :func:`already_consistent`) have no projected cell."""
    return (f"No \"SR + projection\" cell for {', '.join(f'`{m}`' for m in labels)}: already LR-consistent (its SR "
            f"downsamples to the LR input, so the projection moves no pixel by more than half an 8-bit step); "
            f"the set-level table still lists its projection row.")


def grid_cells(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grid's columns (see :func:`compare_grid`) in the order cells are drawn, without the
    projected cells of :func:`already_consistent` models: the context (HR, LR, reconstruction,
    bicubic, error map) first, then each model's SR (and its projection)."""
    skip = {f"proj:{label}" for label in already_consistent(columns)}
    context = [c for c in columns if not c["key"].startswith(("sr:", "proj:"))]
    return context + [c for c in columns if c["key"].startswith(("sr:", "proj:")) and c["key"] not in skip]


def cell_caption(col: Mapping[str, Any], res: Mapping[str, Any], i: int) -> str:
    """Caption of sample ``i`` in grid column ``col`` of :func:`compare_grid`'s result ``res``."""
    key = col["key"]
    if key == "hr":
        return f"#{res['indices'][i]} · {res['labels'][i]}"
    if key == "lr":
        return f"14×14 (shown {LR_SCALE}×)"
    if key == "error":
        return f"max {col['images'][i].max():.2f} (bright = {ERROR_VMAX:g}+)"
    if "psnr" not in col:
        return ""
    return f"PSNR {col['psnr'][i]:.2f} dB · SSIM {col['ssim'][i]:.3f}"


def cell_png(col: Mapping[str, Any], i: int) -> bytes:
    """Pixel-exact PNG of sample ``i`` in grid column ``col`` (LR 8×, HR-sized 4×: both 112 px)."""
    img = col["images"][i]
    if col["key"] == "error":
        return heat_png(img, ERROR_VMAX, scale=HR_SCALE)
    return png_bytes(img, scale=LR_SCALE if col["key"] == "lr" else HR_SCALE)


#: A word longer than this (a run name such as 20261203-075308-cnn-vae) may also wrap after its hyphens.
LONG_WORD = 14


def _word_html(word: str) -> str:
    """One word, kept on one line; a long one is split after its hyphens into pieces that each are."""
    parts = re.findall(r"[^-]+-*|-+", word) if len(word) > LONG_WORD and "-" in word.strip("-") else [word]
    return "<wbr>".join(f'<span style="white-space:nowrap">{html.escape(p)}</span>' for p in parts)


def title_html(title: str) -> str:
    """A cell title that wraps between words (and after the hyphens of a long word) only, never inside a
    piece: it fits a 116-px cell."""
    words = " ".join(_word_html(w) for w in title.split())
    return f'<div class="cmp-title"><b>{words}</b></div>'
