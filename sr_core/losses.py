"""Loss functions of the paper, as pure functions next to the equations they implement.

Paper (Weatherly, "Variational AutoEncoders for Image Super-Sampling"):

    Loss_RECON   = alpha * BCE(x_HR, x_RECON)            (9)
    Loss_LR-Z    = (1 - alpha) * BCE(x_LR, z)             (10)
    Loss_VAE-CNN = Loss_RECON + Loss_LR-Z                 (11)

Eq. (12) prints BCE as ``-sum x_i + log(x_j)``, a typo: binary cross-entropy of a target t and a
prediction p is ``-sum [t log p + (1 - t) log(1 - p)]`` (implemented by :func:`bce`).
We reduce with a mean over pixels and batch (the paper's sum only rescales the learning rate;
a mean keeps the loss comparable across image sizes and batch sizes).

The optional KL term (eq. 7), ``beta * KL(N(mu, sigma^2) || N(0, 1))``, lets users compare with
a standard VAE; the paper drops it (beta = 0).
"""
from __future__ import annotations

import torch

# BCE of a prediction that is exactly 0 or 1 is infinite; like torch's BCELoss we keep log() >= -100
# by clamping the prediction into [EPS, 1 - EPS].
EPS = 1e-7


def bce(target: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy (the corrected eq. 12). Both in [0, 1], same shape; pred is clamped."""
    p = pred.clamp(EPS, 1.0 - EPS)
    # Written out rather than F.binary_cross_entropy, which raises on NaN input: a diverging run must
    # produce a NaN loss that the trainer's guard catches, not an exception.
    return -(target * p.log() + (1.0 - target) * (1.0 - p).log()).mean()


def kl_standard_normal(mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) per latent unit, averaged over batch and units (eq. 7)."""
    var = sigma.pow(2).clamp_min(1e-12)
    return 0.5 * (mu.pow(2) + var - var.log() - 1.0).mean()


def vae_sr_loss(hr: torch.Tensor, recon: torch.Tensor, lr: torch.Tensor, z: torch.Tensor,
                mu: torch.Tensor | None, sigma: torch.Tensor | None, *, alpha: float,
                kl_weight: float = 0.0) -> dict[str, torch.Tensor]:
    """The paper's loss, eqs. (9)-(11), plus optional ``kl_weight * KL`` (eq. 7).

    hr, recon: (B,1,28,28) in [0,1]; lr, z: (B,1,14,14), lr in [0,1] (z is clamped into [0,1]).
    Returns the unweighted components ``recon`` = BCE(HR, recon), ``latent`` = BCE(LR, z),
    ``kl``, and ``total`` = alpha*recon + (1-alpha)*latent + kl_weight*kl.
    """
    recon_term = bce(hr, recon)
    latent_term = bce(lr, z)
    if mu is not None and sigma is not None:
        kl = kl_standard_normal(mu, sigma)
    else:
        kl = torch.zeros((), device=hr.device)
    total = alpha * recon_term + (1.0 - alpha) * latent_term
    if kl_weight:
        total = total + kl_weight * kl
    return {"recon": recon_term, "latent": latent_term, "kl": kl, "total": total}


def alpha_at(step: int, schedule: list[tuple[int, float]] | tuple[tuple[int, float], ...]) -> float:
    """Value of alpha at batch ``step`` (0-based) for a piecewise-constant schedule.

    ``schedule`` is a list of (first_step, alpha) sorted by step, e.g. the paper's
    ``[(0, 0.75), (2500, 0.25)]``: 0.75 for batches 0..2499, 0.25 from batch 2500 on.
    """
    value = schedule[0][1]
    for start, a in schedule:
        if step >= start:
            value = a
        else:
            break
    return float(value)
