"""The paper's CNN-VAE (``cnn-vae-paper``) and the same network with its inconsistencies fixed (``cnn-vae``).

Both encode a 28x28 HR image into a 14x14 latent *image* z that the loss pulls towards the 14x14 LR
image, so the decoder alone maps LR -> HR ("x_LR ~ z", paper Sec. IV-B). ``super_resolve`` feeds the
LR image straight into the decoder.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sr_core.losses import vae_sr_loss
from sr_core.models.base import Posterior, SROutput, SRModel, register

LATENT = 14  # latent image side: 14 x 14 = 196 distributions (paper Sec. IV-B.2)


def _encoder(channels: tuple[int, int]) -> nn.Sequential:
    """Two stride-2 convolutions: (B,1,28,28) -> (B,c2,7,7) -> flattened (B, c2*49)."""
    c1, c2 = channels
    return nn.Sequential(
        nn.Conv2d(1, c1, kernel_size=4, stride=2, padding=1), nn.ReLU(),   # (B, c1, 14, 14)
        nn.Conv2d(c1, c2, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # (B, c2, 7, 7)
        nn.Flatten(),                                                      # (B, c2*49)
    )


def _noise(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(like.shape, device=like.device, dtype=like.dtype, generator=generator)


@dataclass
class CNNVAEPaperConfig:
    """Hyperparameters of ``cnn-vae-paper`` (defaults follow the paper where it gives numbers)."""

    enc_channels: tuple[int, int] = (16, 32)  # Sec. IV-B.1: "a final image with 32 channels that is 7x7"
    dec_channels: int = 4                     # Sec. IV-B.3: "encoded with higher channels" (count not given)


class LatentImageVAE(SRModel):
    """What every CNN-VAE here shares: ``encode`` gives a Posterior over the 14x14 latent image,
    ``decode`` maps a latent image to HR, so SR is ``decode(LR)`` and the loss is eqs. (9)-(11)."""

    has_latent = True

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B,1,14,14) latent image -> (B,1,28,28) HR image."""
        raise NotImplementedError

    def forward(self, x_hr: torch.Tensor, lr: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                generator: torch.Generator | None = None, sample: bool = True) -> SROutput:
        post = self.encode(x_hr, generator)
        z = post.z if sample else post.mode()  # eq. (6); else squash(loc) (loc itself for cnn-vae-paper)
        return SROutput(recon=self.decode(z), z=z, mu=post.loc, sigma=post.scale)

    def super_resolve(self, x_lr: torch.Tensor, labels: torch.Tensor | None = None,
                      generator: torch.Generator | None = None, *,
                      temperature: float | None = None) -> torch.Tensor:
        return self.decode(x_lr)

    def loss(self, out: SROutput, hr: torch.Tensor, lr: torch.Tensor, *, alpha: float,
             kl_weight: float = 0.0, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        return vae_sr_loss(hr, out.recon, lr, out.z, out.mu, out.sigma, alpha=alpha, kl_weight=kl_weight)


@register
class CNNVAEPaper(LatentImageVAE):
    """The paper's CNN-VAE as written (Sec. IV-B), with the one change needed to run at all.

    - Encoder: two convolutions 28x28x1 -> 7x7x32, flatten, two linear heads of 196 values:
      mu through a sigmoid, "sigma^2" through a tanh. Read literally, sigma = sqrt(max(tanh(.), 0)),
      so a negative tanh output means zero noise.
    - Reparameterization z = sigma * zeta + mu (eq. 6), shaped as a 14x14 latent image. z is not
      bounded to [0, 1]; the loss clamps it for the BCE against the LR image.
    - Decoder: a transposed convolution on the latent image, flatten, one linear layer, ReLU, then
      sigmoid. The paper's linear layer outputs 576 values, which cannot be reshaped to 28x28; this
      model outputs 784 (the only change). ReLU before sigmoid bounds every pixel to [0.5, 1), as in
      the paper: black backgrounds are impossible. ``cnn-vae`` fixes that.
    """

    name = "cnn-vae-paper"
    Config = CNNVAEPaperConfig

    def __init__(self, config: CNNVAEPaperConfig) -> None:
        super().__init__(config)
        c2 = config.enc_channels[1]
        self.encoder = _encoder(tuple(config.enc_channels))
        self.fc_mu = nn.Linear(c2 * 49, LATENT * LATENT)
        self.fc_var = nn.Linear(c2 * 49, LATENT * LATENT)
        # Transposed conv keeps 14x14 and raises the channel count; then one linear layer to 784.
        self.dec_conv = nn.ConvTranspose2d(1, config.dec_channels, kernel_size=3, stride=1, padding=1)
        self.dec_fc = nn.Linear(config.dec_channels * LATENT * LATENT, 28 * 28)

    def encode(self, x_hr: torch.Tensor, generator: torch.Generator | None = None) -> Posterior:
        """(B,1,28,28) -> Posterior over the (B,1,14,14) latent image: mu in (0,1), sigma in [0,1),
        z = sigma * zeta + mu (eq. 6, unbounded), all in image space (no squash)."""
        h = self.encoder(x_hr)
        shape = (-1, 1, LATENT, LATENT)
        mu = torch.sigmoid(self.fc_mu(h)).view(shape)
        var = torch.tanh(self.fc_var(h)).view(shape)
        sigma = var.clamp_min(1e-12).sqrt()  # tanh < 0 would be a negative variance: read as 0
        return Posterior(loc=mu, scale=sigma, z=sigma * _noise(mu, generator) + mu)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B,1,14,14) latent -> (B,1,28,28) in [0.5, 1)."""
        h = self.dec_conv(z).flatten(1)
        return torch.sigmoid(torch.relu(self.dec_fc(h))).view(-1, 1, 28, 28)


@dataclass
class CNNVAEConfig:
    """Hyperparameters of ``cnn-vae``."""

    enc_channels: tuple[int, int] = (16, 32)
    dec_channels: int = 4
    init_log_var: float = -4.0  # start nearly deterministic: sigma = exp(-2) ~ 0.14 in logit space


@register
class CNNVAE(LatentImageVAE):
    """The paper's CNN-VAE with its inconsistencies fixed (each fix is one line below).

    1. The decoder outputs 784 = 28x28 values (the paper says 576).
    2. A tanh cannot be a variance (it is negative half the time): the second head is a
       log-variance, sigma = exp(logvar / 2), always positive.
    3. No ReLU before the final sigmoid (ReLU then sigmoid bounds pixels to [0.5, 1), so black,
       the most common Fashion-MNIST pixel, was impossible).
    4. z must lie in [0, 1] for a BCE against the LR image: the Gaussian is drawn in logit space
       and squashed, z = sigmoid(m + sigma * zeta); ``mu``/``sigma`` in the output are m and sigma.
    5. A ReLU between the transposed convolution and the linear layer; without it the two are one
       linear map and the convolution adds nothing.
    """

    name = "cnn-vae"
    Config = CNNVAEConfig
    def __init__(self, config: CNNVAEConfig) -> None:
        super().__init__(config)
        self._init_encoder(config)
        # Same decoder shape as the paper's: transposed conv at 14x14, flatten, one linear layer to 784.
        self.dec_conv = nn.ConvTranspose2d(1, config.dec_channels, kernel_size=3, stride=1, padding=1)
        self.dec_fc = nn.Linear(config.dec_channels * LATENT * LATENT, 28 * 28)

    def _init_encoder(self, config: CNNVAEConfig) -> None:
        """The paper's encoder with a log-variance head (fix 2), shared by the subclasses."""
        c2 = config.enc_channels[1]
        self.encoder = _encoder(tuple(config.enc_channels))
        self.fc_mu = nn.Linear(c2 * 49, LATENT * LATENT)
        self.fc_logvar = nn.Linear(c2 * 49, LATENT * LATENT)
        nn.init.zeros_(self.fc_logvar.weight)
        nn.init.constant_(self.fc_logvar.bias, config.init_log_var)

    def encode(self, x_hr: torch.Tensor, generator: torch.Generator | None = None) -> Posterior:
        """(B,1,28,28) -> Posterior: loc m and sigma > 0 in logit space, each (B,1,14,14);
        mu = sigmoid(m) and z = sigmoid(m + sigma * zeta) (fix 4) are latent images in (0,1)."""
        h = self.encoder(x_hr)
        shape = (-1, 1, LATENT, LATENT)
        m = self.fc_mu(h).view(shape)
        logvar = self.fc_logvar(h).clamp(-12.0, 6.0).view(shape)  # clamp keeps exp() finite
        sigma = (0.5 * logvar).exp()
        return Posterior(loc=m, scale=sigma, z=torch.sigmoid(m + sigma * _noise(m, generator)), squash=torch.sigmoid)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B,1,14,14) latent in [0,1] -> (B,1,28,28) in (0,1)."""
        h = torch.relu(self.dec_conv(z)).flatten(1)  # fix 5
        return torch.sigmoid(self.dec_fc(h)).view(-1, 1, 28, 28)  # fixes 1 and 3

