"""What the Compare and Spectra pages compute, as plain functions of a model and a split.

No Streamlit here: the pages cache and draw the results; tests call these directly.
All images are float in [0, 1]; metrics follow :data:`sr_core.metrics.PROTOCOL` (per image, data
range 1, no crop, set value = plain mean).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np
import torch

from sr_core.errors import UserError
from sr_core.evaluate import per_image_metrics, predict
from sr_core.data import Split
from sr_core.spectra import LR_NYQUIST, hf_energy_share, mean_radial_profile, power_spectrum

from .indices import parse_indices  # noqa: F401 (bounds checked before any list is built)

SELECTION_MODES = ("By index", "By class", "Random", "Worst PSNR", "Best PSNR")


# ---------------------------------------------------------------- set-level metrics

def set_metrics(model: Any, split: Split, *, degradation: str = "box", limit: int = 2000, seed: int = 0,
                projection: bool = False, temperature: float | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Per-image metrics as numpy: {method: {"psnr", "ssim"[, "lr_psnr"]: (N,) float64}}; stochastic models'
    ``model`` entry adds ``diversity`` and ``best_of_8_psnr``; ``projection`` adds ``model+projection``."""
    per = per_image_metrics(model, split, degradation=degradation, limit=limit, seed=seed,
                            projection=projection, temperature=temperature)
    return {m: {k: v.numpy().astype(np.float64) for k, v in d.items()} for m, d in per.items()}


def eval_result(per_image: Mapping[str, Mapping[str, np.ndarray]], *, dataset: str, degradation: str,
                step: int | None = None) -> dict[str, Any]:
    """The ``eval.json`` object of a run (same layout as :func:`sr_core.evaluate.evaluate`) from per-image metrics."""
    from sr_core.metrics import PROTOCOL

    n = len(next(iter(per_image.values()))["psnr"])
    out: dict[str, Any] = {"protocol": PROTOCOL, "dataset": dataset, "split": "test", "n_images": int(n),
                           "degradation": degradation}
    if step is not None:
        out["step"] = int(step)
    for name in ("model", "nearest", "bilinear", "bicubic", "reconstruction"):
        if name in per_image:
            out[name] = {k: float(np.mean(v)) for k, v in per_image[name].items() if len(v)}
    return out


# ---------------------------------------------------------------- choosing samples

def select_indices(mode: str, split: Split, *, count: int = 6, indices: str = "0", class_index: int = 0,
                   seed: int = 0, psnr_values: np.ndarray | None = None) -> list[int]:
    """Test-image indices for a selection ``mode`` (one of :data:`SELECTION_MODES`).

    ``Worst PSNR`` / ``Best PSNR`` rank the images scored in ``psnr_values`` (the first
    ``len(psnr_values)`` test images, model PSNR) and return the ``count`` lowest / highest.
    """
    n = len(split)
    count = max(1, int(count))
    if mode == "By index":
        return parse_indices(indices, n)  # ui.indices: bounds checked before any list is built
    if mode == "By class":
        hits = torch.nonzero(split.labels == int(class_index)).flatten().tolist()
        return hits[:count]
    if mode == "Random":
        g = torch.Generator().manual_seed(int(seed))
        return torch.randperm(n, generator=g)[:count].tolist()
    if mode in ("Worst PSNR", "Best PSNR"):
        if psnr_values is None or len(psnr_values) == 0:
            raise UserError("no per-image PSNR available yet; compute the set-level metrics first")
        v = np.nan_to_num(np.asarray(psnr_values, dtype=np.float64), nan=-np.inf)
        order = np.argsort(v, kind="stable")
        picked = order[:count] if mode == "Worst PSNR" else order[::-1][:count]
        return [int(i) for i in picked]
    raise UserError(f"unknown selection '{mode}'; choose one of: {', '.join(SELECTION_MODES)}")


# ---------------------------------------------------------------- spectra

#: Spectra are shown on the scale of a 28x28 image: an H x W image is multiplied by 784 / (H*W)
#: before its DFT, so a 14x14 LR image (the mean of 2x2 blocks) has the same low frequencies as its HR.
REF_PIXELS = 28 * 28
SPECTRA_LABELS = {"hr": "HR", "lr": "LR", "recon": "Reconstruction", "sr": "Decoder-only SR",
                  "bicubic": "Bicubic"}


def _ref_scale(x: torch.Tensor) -> torch.Tensor:
    h, w = x.shape[-2:]
    return x.to(torch.float64) * (REF_PIXELS / (h * w))


def rms_log_spectrum(batch: torch.Tensor) -> np.ndarray:
    """log(1 + RMS over the batch of |F|), centred, on the 28x28 scale. (B,1,H,W) -> (H, W).

    For one image this is :func:`sr_core.spectra.log_magnitude` (of the rescaled image).
    """
    power = power_spectrum(_ref_scale(batch)).reshape(-1, *batch.shape[-2:]).mean(dim=0)  # (H, W)
    return torch.log1p(power.sqrt()).numpy()


@torch.no_grad()
def spectra_outputs(model: Any, split: Split, indices: list[int] | slice, *, degradation: str = "box",
                    seed: int = 0, batch_size: int = 1000) -> dict[str, torch.Tensor]:
    """HR, LR, reconstruction, decoder-only SR and bicubic images of ``indices`` as (B,1,H,W) CPU tensors."""
    if isinstance(indices, slice):
        idx = list(range(*indices.indices(len(split))))
    else:
        idx = list(indices)
    acc: dict[str, list[torch.Tensor]] = {}
    for i in range(0, len(idx), batch_size):
        chunk = idx[i:i + batch_size]
        hr = split.hr(chunk)
        outs = predict(model, hr, degradation, split.labels[chunk], seed=seed + i)
        outs["hr"] = hr
        for k in SPECTRA_LABELS:
            if k in outs:
                acc.setdefault(k, []).append(outs[k].cpu())
    return {k: torch.cat(v) for k, v in acc.items()}


def spectra_summary(images: Mapping[str, torch.Tensor], *, cutoff: float = float(LR_NYQUIST)) -> dict[str, Any]:
    """Everything the Spectra page draws for a batch of images (B = 1 for one sample, N for a set).

    images: key -> (B, 1, H, W) in [0, 1] with keys among hr, lr, recon, sr, bicubic.
    Returns (display names as keys, numpy values):
    ``panels`` {name: (H, W)} RMS log-magnitude spectra; ``radial`` {name: (radii, mean power)};
    ``hf_share`` {name: mean share of power above ``cutoff``}; ``error_panels`` {"SR − HR", "Bicubic − HR"
    [, "Reconstruction − HR"]: (28, 28)} RMS log-magnitude spectra of the errors; ``n`` the batch size.
    """
    panels, radial, hf = {}, {}, {}
    for key, label in SPECTRA_LABELS.items():
        if key not in images:
            continue
        x = images[key]
        panels[label] = rms_log_spectrum(x)
        radii, power = mean_radial_profile(_ref_scale(x))
        radial[label] = (radii.numpy(), power.numpy())
        hf[label] = float(hf_energy_share(x.to(torch.float64), cutoff).mean())
    errors = {}
    hr = images["hr"]
    for key, label in (("sr", "SR − HR"), ("bicubic", "Bicubic − HR"), ("recon", "Reconstruction − HR")):
        if key in images:
            errors[label] = rms_log_spectrum(images[key].to(torch.float64) - hr.to(torch.float64))
    return {"panels": panels, "radial": radial, "hf_share": hf, "error_panels": errors,
            "n": int(hr.shape[0])}


def hf_share_table(hf_share: Mapping[str, float], cutoff: float = float(LR_NYQUIST)) -> list[dict[str, str]]:
    """Rows for the high-frequency energy table: Image, share of power above the cutoff (percent)."""
    return [{"Image": name, f"Energy above {cutoff:g} cycles/image": f"{100.0 * v:.2f} %"}
            for name, v in hf_share.items()]
