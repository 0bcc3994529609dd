"""Several models side by side: what the Compare page computes when it shows more than one model.

Plain functions of ``{label: model}`` and a split, no Streamlit. The first model is the *primary*:
ranking by PSNR, the full-VAE reconstruction column and the error map refer to it. Options apply to
every model: ``projection`` adds each model's LR-consistent projection (:mod:`sr_core.projection`,
box degradation only), ``temperature`` goes to the models that take one (e.g. ``cvae-sr``).
Metrics follow :data:`sr_core.metrics.PROTOCOL` (per image, data range 1, no crop, mean over the set).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch

from sr_core.data import Split, get_degradation
from sr_core.evaluate import predict
from sr_core.metrics import lr_psnr, psnr, ssim

BASELINE_ROWS = (("nearest", "nearest"), ("bilinear", "bilinear"), ("bicubic", "bicubic"))


def takes_temperature(model: Any) -> bool:
    """True for models whose ``super_resolve`` has a temperature (their config has a default one)."""
    return model is not None and model.takes_temperature


def temperature_for(model: Any, temperature: float | None) -> float | None:
    """``temperature`` for models that take one, else None (so ``predict`` does not pass it)."""
    return temperature if takes_temperature(model) else None


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
                              projection=project, temperature=temperature_for(model, temperature))
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


# ---------------------------------------------------------------- the set-level table

def _fmt(v: float | None, digits: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}f}"


def _row(method: str, d: Mapping[str, np.ndarray], extra_cols: bool) -> dict[str, str]:
    mean = {k: float(np.mean(v)) for k, v in d.items() if len(v)}
    row = {"Method": method, "PSNR (dB)": _fmt(mean.get("psnr"), 2), "SSIM": _fmt(mean.get("ssim"), 4),
           "LR-PSNR (dB)": _fmt(mean.get("lr_psnr"), 2)}
    if extra_cols:
        best = next((k for k in mean if k.startswith("best_of_")), None)
        row["Diversity (mean std)"] = _fmt(mean.get("diversity"), 4)
        row["Best-of-8 PSNR (dB)"] = _fmt(mean[best], 2) if best else "–"
    return row


def compare_table(per_model: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]]) -> list[dict[str, str]]:
    """Rows of the set-level table for several models.

    per_model: {label: per-image metrics of that model} as :func:`ui.analysis.set_metrics` returns
    them. Per model: its SR (from LR), SR + projection and full reconstruction (sees HR) when present;
    then the interpolation baselines once (they do not depend on the model). Stochastic models add
    the columns ``Diversity (mean std)`` (mean per-pixel std over 8 samples) and ``Best-of-8 PSNR``.
    """
    extra_cols = any("diversity" in per.get("model", {}) for per in per_model.values())
    rows = []
    for label, per in per_model.items():
        for key, what in (("model", "SR from LR"), ("model+projection", "SR + LR projection"),
                          ("model+predicted_labels", "SR, predicted labels"),
                          ("reconstruction", "full reconstruction (sees HR)")):
            if key in per:
                rows.append(_row(f"{label}: {what}", per[key], extra_cols))
    first = next(iter(per_model.values()), {})
    for key, label in BASELINE_ROWS:
        if key in first:
            rows.append(_row(label, first[key], extra_cols))
    return rows


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
    kw = {} if temperature_for(model, temperature) is None else {"temperature": temperature}
    outs = []
    for i in range(int(n)):
        gen = torch.Generator(device=device).manual_seed(int(seed) + i)
        outs.append(model.super_resolve(lr, labels=labels, generator=gen, **kw).clamp(0, 1)[0, 0])
    stack = torch.stack(outs).float().cpu().numpy()  # (n, 2h, 2w)
    return stack, stack.std(axis=0)


# ---------------------------------------------------------------- spectra of several models

def overlay_spectra(summaries: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]],
                                                                          dict[str, float]]:
    """Radial power profiles and high-frequency shares of several models on one chart.

    summaries: {label: :func:`ui.analysis.spectra_summary` of that model on the same images}.
    Returns ({name: (radii, power)}, {name: HF share}) with HR, LR and bicubic once (from the first
    summary; they do not depend on the model) followed by each model's SR as ``SR · <label>``.
    """
    profiles: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    hf: dict[str, float] = {}
    first = next(iter(summaries.values()), None)
    if first is None:
        return profiles, hf
    for name in ("HR", "LR", "Bicubic"):
        if name in first["radial"]:
            profiles[name], hf[name] = first["radial"][name], first["hf_share"][name]
    for label, summary in summaries.items():
        profiles[f"SR · {label}"] = summary["radial"]["Decoder-only SR"]
        hf[f"SR · {label}"] = summary["hf_share"]["Decoder-only SR"]
    return profiles, hf
