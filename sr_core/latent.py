"""Latent measurements: how close the encoder's latent image comes to the LR image, and what SR loses
because the decoder is fed the LR image instead of the latent it was trained on.

The paper's premise is "x_LR ~ z" (Sec. IV-B): the 14x14 latent image of an HR image is pulled
towards its LR image, so that at SR time the LR image can stand in for z. Per image this module
measures (models with ``has_latent``, through ``encode(hr) -> Posterior``):

- ``z_lr_psnr``: PSNR of a latent sample z (clamped into [0, 1], as the loss's BCE clamps it) vs LR;
- ``mu_lr_psnr``: PSNR of the posterior mean latent image mu vs LR;
- ``sigma_mean``: mean posterior standard deviation over the 196 latent units, in the space where
  the noise is added (logit space for ``cnn-vae``/``-class``/``-deep``, image space for ``cnn-vae-paper``);
- ``kl``: KL(q(z|HR) || N(0, 1)), mean over the latent units (eq. 7's scale, as the loss's ``kl``);
- the **latent gap**: PSNR/SSIM vs HR of decoder(mu(HR)) (``dec_mu_*``, the decoder fed the latent
  it was trained on; it sees HR through the encoder) and decoder(LR) (``dec_lr_*``, the SR image),
  and ``gap_psnr`` = dec_mu_psnr - dec_lr_psnr; with the box degradation the same after the
  LR-consistent projection (``*_proj_*``, :func:`sr_core.projection.project`, bounded).

Set-level numbers are plain means of the per-image values (the protocol in :data:`LATENT_PROTOCOL`).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import torch

from sr_core.data import Split
from sr_core.degrade import get_degradation
from sr_core.metrics import psnr, ssim
from sr_core.models import SRModel
from sr_core.projection import project

LATENT_PROTOCOL = (
    "latent metrics per image, then the mean over the set: PSNR of z (one posterior sample, clamped "
    "to [0,1]) and of mu (posterior mean latent image) against the 14×14 LR input, data range 1; "
    "sigma = mean posterior std over the 196 latent units (in the space the noise is added: logit "
    "space for cnn-vae, cnn-vae-class, cnn-vae-deep, image space for cnn-vae-paper); KL to N(0,1), "
    "mean per latent unit; latent gap = PSNR/SSIM against the 28×28 HR image (data range 1, no border "
    "crop) of decoder(mu(HR)) minus that of decoder(LR) = SR; '+projection' after the bounded "
    "LR-consistent projection (box degradation only). Fixed noise seed per batch."
)
#: Per-image keys of :func:`latent_per_image` (the ``*_proj_*`` ones with the box degradation only).
METRIC_KEYS = ("z_lr_psnr", "mu_lr_psnr", "sigma_mean", "kl", "dec_mu_psnr", "dec_mu_ssim",
               "dec_lr_psnr", "dec_lr_ssim", "gap_psnr", "gap_ssim")
PROJ_KEYS = ("dec_mu_proj_psnr", "dec_mu_proj_ssim", "dec_lr_proj_psnr", "dec_lr_proj_ssim", "gap_proj_psnr")


def _need_latent(model: SRModel) -> None:
    if not model.has_latent:
        raise ValueError(f"model '{model.name}' has no latent image (has_latent is False)")


@torch.no_grad()
def latent_lr_psnr(model: SRModel, hr: torch.Tensor, lr: torch.Tensor) -> torch.Tensor:
    """(B,) PSNR in dB of the posterior mean latent image mu(HR) against LR (the paper's premise).

    hr: (B,1,28,28) in [0,1]; lr: (B,1,14,14) in [0,1], made from hr by the run's degradation.
    """
    _need_latent(model)
    return psnr(model.encode(hr).mu.clamp(0.0, 1.0), lr)


@torch.no_grad()
def latent_outputs(model: SRModel, hr: torch.Tensor, lr: torch.Tensor, *, labels: torch.Tensor | None = None,
                   generator: torch.Generator | None = None, projection: bool = True) -> dict[str, torch.Tensor]:
    """Images for one batch: ``mu``, ``sigma``, ``z`` (B,1,14,14); ``dec_mu`` = decoder(mu),
    ``dec_lr`` = decoder(LR) = SR, (B,1,28,28) in [0,1]; with ``projection`` also ``dec_mu_proj``,
    ``dec_lr_proj`` (bounded LR-consistent projection onto ``lr``). ``labels`` go to class-conditioned
    decoders (oracle labels, as ``evaluate``'s ``model`` entry)."""
    _need_latent(model)
    model.eval()
    post = model.encode(hr, generator=generator)
    mu = post.mu.clamp(0.0, 1.0)
    out = {"mu": mu, "sigma": post.sigma, "z": post.z.clamp(0.0, 1.0),
           "kl": post.kl(),  # (B,)
           "dec_mu": model.super_resolve(mu, labels=labels, generator=generator).clamp(0.0, 1.0),
           "dec_lr": model.super_resolve(lr, labels=labels, generator=generator).clamp(0.0, 1.0)}
    if projection:
        out["dec_mu_proj"] = project(out["dec_mu"], lr, clamp=True)
        out["dec_lr_proj"] = project(out["dec_lr"], lr, clamp=True)
    return out


def batch_metrics(outs: dict[str, torch.Tensor], hr: torch.Tensor, lr: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-image latent metrics, each (B,) float64, from :func:`latent_outputs` of (hr, lr)."""
    m = {"z_lr_psnr": psnr(outs["z"], lr), "mu_lr_psnr": psnr(outs["mu"], lr),
         "sigma_mean": outs["sigma"].flatten(1).mean(dim=1).double(), "kl": outs["kl"].double()}
    pairs = [("dec_mu", "dec_mu"), ("dec_lr", "dec_lr")]
    if "dec_mu_proj" in outs:
        pairs += [("dec_mu_proj", "dec_mu_proj"), ("dec_lr_proj", "dec_lr_proj")]
    for key, name in pairs:
        m[f"{name}_psnr"] = psnr(outs[key], hr)
        m[f"{name}_ssim"] = ssim(outs[key], hr)
    m["gap_psnr"] = m["dec_mu_psnr"] - m["dec_lr_psnr"]
    m["gap_ssim"] = m["dec_mu_ssim"] - m["dec_lr_ssim"]
    if "dec_mu_proj" in outs:
        m["gap_proj_psnr"] = m["dec_mu_proj_psnr"] - m["dec_lr_proj_psnr"]
    return m


@torch.no_grad()
def latent_per_image(model: SRModel, split: Split, *, degradation: str = "box", limit: int = 0,
                     device: torch.device | str = "cpu", seed: int = 0, batch_size: int = 500,
                     progress: Callable[[int, int], None] | None = None,
                     stop: threading.Event | None = None) -> dict[str, torch.Tensor]:
    """Per-image latent metrics over the first ``limit`` images of ``split`` (0 = all): {key: (N,)}.

    The one progress/cancel protocol of sr_core: ``progress(done, total)`` after each batch; a set
    ``stop`` event ends early (the result then covers the images done so far). Batch i's noise comes from ``seed + i`` (reproducible).
    """
    degrade = get_degradation(degradation)
    n = len(split) if not limit else min(limit, len(split))
    acc: dict[str, list[torch.Tensor]] = {}
    for i in range(0, n, batch_size):
        if stop is not None and stop.is_set():
            break
        idx = slice(i, min(i + batch_size, n))
        hr = split.hr(idx, device)  # (b, 1, 28, 28)
        lr = degrade(hr)            # (b, 1, 14, 14)
        gen = torch.Generator(device=hr.device).manual_seed(seed + i)
        outs = latent_outputs(model, hr, lr, labels=split.labels[idx].to(device), generator=gen,
                              projection=degradation == "box")
        for k, v in batch_metrics(outs, hr, lr).items():
            acc.setdefault(k, []).append(v.cpu())
        if progress is not None:
            progress(idx.stop, n)
    return {k: torch.cat(v) for k, v in acc.items()}


def summarize_latent(per_image: dict[str, torch.Tensor]) -> dict[str, float]:
    """Plain mean over the set of each per-image latent metric."""
    return {k: float(v.double().mean()) for k, v in per_image.items()}


def latent_metrics(model: SRModel, split: Split, *, degradation: str = "box", limit: int = 0,
                   device: torch.device | str = "cpu", seed: int = 0) -> dict[str, Any]:
    """The ``eval --json`` ``"latent"`` object: protocol, image count and the set means."""
    per = latent_per_image(model, split, degradation=degradation, limit=limit, device=device, seed=seed)
    n = int(next(iter(per.values())).numel()) if per else 0
    return {"protocol": LATENT_PROTOCOL, "n_images": n, **summarize_latent(per)}
