"""Evaluation of a model's decoder-only SR against interpolation baselines, per image.

Protocol (also :data:`sr_core.metrics.PROTOCOL`): PSNR/SSIM per image on the 28x28 HR test images,
data range 1, no border crop, averaged over the set. The model's SR image comes from the LR image
alone (``super_resolve``); the full-VAE reconstruction (HR in, with z = posterior mode) is reported
separately because it sees the HR image.
"""
from __future__ import annotations

from typing import Any

import torch

from .baselines import BASELINES, upsample
from .data import Split, get_degradation
from .metrics import PROTOCOL, lr_psnr, psnr, ssim
from .models import SRModel

SHORT_PROTOCOL = ("per-image PSNR/SSIM on 28×28 HR, data range 1, no border crop, mean over the set; "
                  "LR-PSNR = SR downscaled vs LR input")


@torch.no_grad()
def predict(model: SRModel | None, hr: torch.Tensor, degradation: str = "box", labels: torch.Tensor | None = None,
            seed: int = 0) -> dict[str, torch.Tensor]:
    """All outputs for a batch of HR images (B,1,28,28) in [0,1], on the model's device.

    Returns ``lr`` (B,1,14,14) and, each (B,1,28,28) in [0,1]: ``nearest``, ``bilinear``, ``bicubic``,
    and with a model ``sr`` (decoder-only SR from LR) and ``recon`` (full pass from HR, z = mode)
    when the model has one.
    """
    degrade = get_degradation(degradation)
    lr = degrade(hr)
    out: dict[str, torch.Tensor] = {"lr": lr}
    for m in BASELINES:
        out[m] = upsample(lr, m)
    if model is not None:
        model.eval()
        gen = torch.Generator(device=hr.device).manual_seed(seed)
        out["sr"] = model.super_resolve(lr, labels=labels, generator=gen).clamp(0, 1)
        if model.has_reconstruction:
            try:
                rec = model(hr, lr=lr, labels=labels, generator=gen, sample=False)
            except TypeError:  # models without a deterministic mode
                rec = model(hr, lr=lr, labels=labels, generator=gen)
            out["recon"] = rec.recon.clamp(0, 1)
    return out


@torch.no_grad()
def per_image_metrics(model: SRModel | None, split: Split, *, degradation: str = "box", limit: int = 0,
                      device: torch.device | str = "cpu", batch_size: int = 1000,
                      seed: int = 0) -> dict[str, dict[str, torch.Tensor]]:
    """Per-image metrics over the first ``limit`` images of ``split`` (0 = all).

    Returns {method: {"psnr": (N,), "ssim": (N,), "lr_psnr": (N,)}} for ``nearest``, ``bilinear``,
    ``bicubic``, and with a model ``model`` (decoder-only SR) and ``reconstruction`` (psnr, ssim only).
    """
    degrade = get_degradation(degradation)
    n = len(split) if not limit else min(limit, len(split))
    acc: dict[str, dict[str, list[torch.Tensor]]] = {}
    for i in range(0, n, batch_size):
        idx = slice(i, min(i + batch_size, n))
        hr = split.hr(idx, device)
        labels = split.labels[idx].to(device)
        outs = predict(model, hr, degradation, labels, seed=seed + i)
        for key, name in (("nearest", "nearest"), ("bilinear", "bilinear"), ("bicubic", "bicubic"),
                          ("sr", "model"), ("recon", "reconstruction")):
            if key not in outs:
                continue
            img = outs[key]
            d = acc.setdefault(name, {"psnr": [], "ssim": [], "lr_psnr": []})
            d["psnr"].append(psnr(img, hr).cpu())
            d["ssim"].append(ssim(img, hr).cpu())
            if name != "reconstruction":
                d["lr_psnr"].append(lr_psnr(img, outs["lr"], degrade).cpu())
    return {name: {k: torch.cat(v) for k, v in d.items() if v} for name, d in acc.items()}


def summarize_metrics(per_image: dict[str, dict[str, torch.Tensor]]) -> dict[str, dict[str, float]]:
    """Mean of each per-image metric: {method: {metric: float}}."""
    return {name: {k: float(v.mean()) for k, v in d.items()} for name, d in per_image.items()}


def evaluate(model: SRModel | None, split: Split, *, degradation: str = "box", limit: int = 0,
             device: torch.device | str = "cpu", seed: int = 0) -> dict[str, Any]:
    """The ``eval --json`` object: protocol, dataset, image count, and mean metrics per method."""
    per = per_image_metrics(model, split, degradation=degradation, limit=limit, device=device, seed=seed)
    means = summarize_metrics(per)
    n = len(next(iter(per.values()))["psnr"])
    result: dict[str, Any] = {"protocol": PROTOCOL, "dataset": split.name,
                              "split": "train" if split.train else "test", "n_images": n,
                              "degradation": degradation}
    for name in ("model", "nearest", "bilinear", "bicubic", "reconstruction"):
        if name in means:
            result[name] = means[name]
    return result
