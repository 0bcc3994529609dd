"""``cvae-sr``: a conditional VAE for super-resolution — one LR image, many plausible HR images.

Generative model: z ~ p(z | LR) (a learned Gaussian prior), HR = g(LR, z). Inference model in
training: q(z | HR, LR). The latent is a spatial map on the LR grid, (B, z_channels, h, w), and
every part is convolutional, so the model works on any image size ((B,1,h,w) -> (B,1,2h,2w)).

Objective (Sohn, Lee & Yan, "Learning Structured Output Representation using Deep Conditional
Generative Models", NeurIPS 2015 — the CVAE and its *hybrid* objective, their eq. 9):

    L = alpha * [ rec(g(LR, z_q), HR) + beta * KL(q(z|HR,LR) || p(z|LR)) ]     CVAE / ELBO term
      + (1 - alpha) * rec(g(LR, mean of p(z|LR)), HR)                          deterministic SR term

``rec`` is the pixel loss (default ``psnr``: per-image log-MSE, as resnet-sr; or L1, MSE), the KL
is in nats per HR pixel. The second term trains exactly what ``super_resolve`` does at temperature 0
(Sohn et al. use prior samples there; the prior mean keeps the sampling spread for the temperature
to control). ``alpha`` comes from the training config's alpha schedule, ``beta`` from ``kl_weight``
when it is > 0, else from this model's ``beta`` setting. In training each image goes through one
of the two decoder paths (even/odd batch positions), an unbiased estimate at half the decoder cost.

At SR time z = mu_p + T * sigma_p * noise: T (``temperature``) scales the prior's spread;
T = 0 gives one deterministic image, T = 1 samples the learned prior. The default is 0.5, the usual
reduced-temperature sampling of VAEs/flows: an exact posterior sample has twice the MSE of the
posterior mean (~3 dB lower PSNR) by construction. How much each T costs depends on how much the
latent learned to carry: after 44k training images T = 0.5 stayed within ~0.5 dB of T = 0; the shipped
checkpoint (512k images, ``cvae-sr-long``) relies on z far more (reconstruction from the posterior
36.0 dB) and its T-curve on the Fashion-MNIST test set is T = 0: 25.72 dB, 0.1: 25.68, 0.25: 25.32,
0.5: 24.07, 1: 21.88 (diversity 0, 0.0026, 0.0063, 0.0133, 0.0311). The default stays 0.5 (visibly
different samples); lower it for fidelity. ``bench/quality.py --temperatures 0,0.25,1`` reports the
trade-off. With ``consistent`` every sample box-downsamples exactly to the LR input.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sr_core.models.base import SROutput, SRModel, register
from sr_core.models.blocks import (BASES, PIXEL_LOSSES, SCALE, Body, ResBlock, SubPixelUp, base_upsample,
                                   check_choice, consistent_output, finish, pixel_loss)

LOGVAR_MIN, LOGVAR_MAX = -12.0, 6.0  # keep exp() finite and the KL bounded


def gaussian_kl(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor,
                logvar_p: torch.Tensor) -> torch.Tensor:
    """Elementwise KL(N(mu_q, var_q) || N(mu_p, var_p)) of diagonal Gaussians (same shapes)."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2)) / logvar_p.exp() - 1.0)


class GaussianHead(nn.Module):
    """conv -> ResBlocks -> conv to (mu, logvar), each (B, z, h, w). Input (B, c_in, h, w)."""

    def __init__(self, in_channels: int, channels: int, blocks: int, z_channels: int) -> None:
        super().__init__()
        self.head = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.blocks = nn.Sequential(*[ResBlock(channels) for _ in range(blocks)])
        self.out = nn.Conv2d(channels, 2 * z_channels, 3, padding=1)
        # Start near N(0, 1): tiny weights, zero bias, so the first KL terms are tiny and stable
        # (not exactly zero: the layers below would get no gradient at step 0).
        nn.init.normal_(self.out.weight, std=1e-3)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.out(F.relu(self.blocks(self.head(x))))
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)


@dataclass
class CVAESRConfig:
    """Hyperparameters of ``cvae-sr``."""

    channels: int = 32       # decoder body width
    blocks: int = 4          # decoder residual blocks
    z_channels: int = 2      # latent channels per LR pixel (a 2x2 HR block has 3 unknowns beyond its mean)
    enc_channels: int = 24   # width of the posterior and prior networks
    enc_blocks: int = 1      # residual blocks in each of them
    beta: float = 1.0        # KL weight when the training config's kl_weight is 0
    temperature: float = 0.5  # default SR temperature (scales the prior's standard deviation); see below
    base: str = "bicubic"    # interpolation the decoder's residual is added to
    loss: str = "psnr"       # pixel loss: psnr (per-image log-MSE), l1 or mse (see resnet-sr)
    consistent: bool = True  # back-project every sample onto box(SR) == LR (assumes the box degradation)


@register
class CVAESR(SRModel):
    """Conditional VAE: z ~ p(z|LR) with a temperature, decoder g(LR, z); many HR images per LR image.

    Loss components: ``recon`` = pixel loss of the posterior-sample reconstruction (sees HR),
    ``latent`` = pixel loss of the temperature-0 SR (LR only), ``kl`` = KL(q || p) in nats per HR
    pixel, ``total`` = alpha * (recon + beta * kl) + (1 - alpha) * latent.
    """

    name = "cvae-sr"
    Config = CVAESRConfig
    stochastic = True
    takes_temperature = True
    temperature_range = (0.0, 1.5)  # 0: the prior mean (deterministic); 1.5: well past the prior's own spread
    fully_convolutional = True
    trains_any_size = True
    interpolation_reach = 2  # the decoder's residual is added to a bicubic (or nearer) upsampling
    has_reconstruction = True
    # Its latent is a (B, z_channels, 14, 14) code of what LR leaves open, not an image: has_latent False.
    loss_labels = {"recon": "recon = pixel loss of the posterior-sample reconstruction (sees HR)",
                   "latent": "latent = pixel loss of the temperature-0 SR (LR only)",
                   "kl": "KL(q(z|HR,LR) || p(z|LR)), nats per HR pixel", "total": "total (minimized)"}

    def default_temperature(self) -> float | None:
        return float(self.config.temperature)

    def __init__(self, config: CVAESRConfig) -> None:
        super().__init__(config)
        check_choice(config.base, BASES, "base upsampler")
        check_choice(config.loss, PIXEL_LOSSES, "pixel loss")
        zc = config.z_channels
        # Posterior sees the HR image as 4 sub-images on the LR grid (space-to-depth) plus the LR image.
        self.unshuffle = nn.PixelUnshuffle(SCALE)
        self.posterior = GaussianHead(SCALE * SCALE + 1, config.enc_channels, config.enc_blocks, zc)
        self.prior = GaussianHead(1, config.enc_channels, config.enc_blocks, zc)
        self.body = Body(1 + zc, config.channels, config.blocks)
        self.up = SubPixelUp(config.channels, 1)

    # ------------------------------------------------------------------ parts
    def prior_params(self, lr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """p(z | LR): (B,1,h,w) -> mu, logvar, each (B, z_channels, h, w)."""
        return self.prior(lr - 0.5)

    def posterior_params(self, hr: torch.Tensor, lr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z | HR, LR): (B,1,2h,2w), (B,1,h,w) -> mu, logvar, each (B, z_channels, h, w)."""
        return self.posterior(torch.cat([self.unshuffle(hr) - 0.5, lr - 0.5], dim=1))

    def decode(self, lr: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """g(LR, z): (B,1,h,w), (B,z,h,w) -> unclamped SR (B,1,2h,2w)."""
        out = base_upsample(lr, self.config.base) + self.up(self.body(torch.cat([lr - 0.5, z], dim=1)))
        return consistent_output(out, lr, self.config.consistent)

    # ------------------------------------------------------------------ interface
    def forward(self, x_hr: torch.Tensor, lr: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                generator: torch.Generator | None = None, sample: bool = True) -> SROutput:
        """Posterior reconstruction (``recon``) and, in ``extras['sr0']``, the temperature-0 SR.

        In training mode the batch is split between the two (see the comment below)."""
        lr = self.lr_of(x_hr, lr)
        mu_q, logvar_q = self.posterior_params(x_hr, lr)
        mu_p, logvar_p = self.prior_params(lr)
        sigma_q = (0.5 * logvar_q).exp()
        if sample:
            noise = torch.randn(mu_q.shape, device=mu_q.device, dtype=mu_q.dtype, generator=generator)
            z = mu_q + sigma_q * noise
        else:
            z = mu_q
        extras = {"logvar_q": logvar_q, "mu_p": mu_p, "logvar_p": logvar_p}
        if self.training and x_hr.shape[0] >= 2:
            # One decoder pass per image: even images decode the posterior sample (CVAE term), odd ones
            # the prior mean (SR term). An unbiased estimate of both terms at half the decoder cost;
            # ``recon`` is then this mixed batch.
            post = (torch.arange(x_hr.shape[0], device=x_hr.device) % 2 == 0).view(-1, 1, 1, 1)
            recon = self.decode(lr, torch.where(post, z, mu_p))
            extras["posterior_mask"] = post.view(-1)
            return SROutput(recon=recon, z=z, mu=mu_q, sigma=sigma_q, extras=extras)
        # Evaluation: both passes for every image, in one (2B, ...) batch.
        both = self.decode(torch.cat([lr, lr]), torch.cat([z, mu_p]))
        recon, extras["sr0"] = both.chunk(2, dim=0)
        return SROutput(recon=recon, z=z, mu=mu_q, sigma=sigma_q, extras=extras)

    @torch.no_grad()
    def super_resolve(self, x_lr: torch.Tensor, labels: torch.Tensor | None = None,
                      generator: torch.Generator | None = None, *,
                      temperature: float | None = None) -> torch.Tensor:
        """(B,1,h,w) LR in [0,1] -> one sample (B,1,2h,2w) in [0,1]; z = mu_p + T sigma_p noise."""
        return self.super_resolve_samples(x_lr, 1, generator=generator, temperature=temperature)

    @torch.no_grad()
    def super_resolve_samples(self, x_lr: torch.Tensor, k: int, labels: torch.Tensor | None = None,
                              generator: torch.Generator | None = None, *,
                              temperature: float | None = None) -> torch.Tensor:
        """``k`` samples of each LR image: (B,1,h,w) -> (K*B,1,2h,2w) in [0,1], sample-major.

        p(z | LR) depends on LR alone, so the prior network runs once on the B images and only the
        decoder sees the K copies. The noise is one (K*B, z, h, w) draw from ``generator``, the draw
        ``super_resolve`` of the batch repeated K times makes, so both give the same samples."""
        t = self.config.temperature if temperature is None else float(temperature)
        mu_p, logvar_p = self.prior_params(x_lr)  # (B, z, h, w) each
        rep = x_lr.repeat(k, 1, 1, 1) if k > 1 else x_lr  # (K*B, 1, h, w)
        z = mu_p.repeat(k, 1, 1, 1) if k > 1 else mu_p
        if t > 0:
            noise = torch.randn(z.shape, device=z.device, dtype=z.dtype, generator=generator)
            z = z + t * (0.5 * logvar_p).exp().repeat(k, 1, 1, 1) * noise
        return finish(self.decode(rep, z), rep, self.config.consistent)

    def loss(self, out: SROutput, hr: torch.Tensor, lr: torch.Tensor, *, alpha: float,
             kl_weight: float = 0.0, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        kind = self.config.loss
        if "posterior_mask" in out.extras:  # training batch: each image went through one of the two paths
            post = out.extras["posterior_mask"]
            recon = pixel_loss(out.recon[post], hr[post], kind)
            sr0 = pixel_loss(out.recon[~post], hr[~post], kind)
        else:
            recon = pixel_loss(out.recon, hr, kind)
            sr0 = pixel_loss(out.extras["sr0"], hr, kind)
        kl_map = gaussian_kl(out.mu, out.extras["logvar_q"], out.extras["mu_p"], out.extras["logvar_p"])
        kl = kl_map.sum(dim=(1, 2, 3)).mean() / hr[0].numel()  # nats per HR pixel
        beta = kl_weight if kl_weight > 0 else self.config.beta
        total = alpha * (recon + beta * kl) + (1.0 - alpha) * sr0
        return {"recon": recon, "latent": sr0, "kl": kl, "total": total}
