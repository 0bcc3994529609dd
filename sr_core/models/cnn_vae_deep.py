"""``cnn-vae-deep``: the paper's objective and encoder with a decoder that can upsample.

The shipped ``cnn-vae`` shows that the encoder's mean already matches the LR image closely while
its SR stays below bicubic: the paper's decoder (one transposed convolution and one linear map) is
the limit, not the latent. This model keeps everything of ``cnn-vae`` that defines the paper's idea
— the two-convolution encoder with linear heads, the 14x14 latent image z = sigmoid(m + sigma*zeta)
pulled towards the LR image by the same BCE (eq. 10), the alpha schedule, the optional KL (eq. 7) —
and swaps only the decoder for a fully convolutional one on the 14x14 latent: the ``resnet-sr``
body (EDSR residual blocks) and an ESPCN sub-pixel layer, whose output is added to the logit of the
nearest-upsampled latent (the network learns the missing detail, the latent carries the LR content).

The default encoder is narrower than ``cnn-vae``'s (16 and 16 channels instead of 16 and 32), so
the two linear heads have 784 instead of 1,568 inputs and the shipped checkpoint stays under 1 MB.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sr_core.degrade import nearest_up
from sr_core.models.base import SRModel, register
from sr_core.models.blocks import SCALE, Body, SubPixelUp
from sr_core.models.cnn_vae import CNNVAE

LOGIT_EPS = 1e-3  # keeps the base logit finite for latents of exactly 0 or 1


@dataclass
class CNNVAEDeepConfig:
    """Hyperparameters of ``cnn-vae-deep`` (encoder and prior as ``cnn-vae``; decoder as ``resnet-sr``)."""

    enc_channels: tuple[int, int] = (16, 16)
    init_log_var: float = -4.0
    channels: int = 32   # decoder body width
    blocks: int = 4      # decoder residual blocks


class ConvDecoder(nn.Module):
    """(B,1,14,14) latent in [0,1] -> (B,1,28,28) in (0,1): logit(nearest_up(z)) + subpixel(body(z))."""

    def __init__(self, channels: int, blocks: int) -> None:
        super().__init__()
        self.body = Body(1, channels, blocks)
        self.up = SubPixelUp(channels, 1, SCALE)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        base = torch.logit(nearest_up(z, SCALE).clamp(LOGIT_EPS, 1.0 - LOGIT_EPS))  # (B,1,28,28)
        return torch.sigmoid(base + self.up(self.body(z - 0.5)))


@register
class CNNVAEDeep(CNNVAE):
    """The paper's CNN-VAE objective and encoder with a fully convolutional (EDSR/ESPCN) decoder.

    Loss components as ``cnn-vae``: ``recon`` = BCE(HR, recon) (eq. 9), ``latent`` = BCE(LR, z)
    (eq. 10), ``kl`` (eq. 7), ``total`` = alpha*recon + (1-alpha)*latent + kl_weight*kl.
    """

    name = "cnn-vae-deep"
    Config = CNNVAEDeepConfig
    fully_convolutional = True  # super_resolve decodes the LR image itself: convolutions and nearest only

    def __init__(self, config: CNNVAEDeepConfig) -> None:
        SRModel.__init__(self, config)  # not CNNVAE.__init__: its linear decoder is not wanted here
        self._init_encoder(config)
        self.decoder = ConvDecoder(config.channels, config.blocks)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B,1,14,14) latent in [0,1] -> (B,1,28,28) in (0,1)."""
        return self.decoder(z)
