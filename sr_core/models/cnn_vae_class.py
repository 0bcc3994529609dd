"""``cnn-vae-class``: the fixed CNN-VAE with a class-conditioned decoder (the paper's future work).

Paper, Sec. VI: "in a single image SS, it could be useful to condition the model on class, as
different classes most likely have different latent distributions." The decoder of ``cnn-vae``
gets a learned per-class embedding that (a) modulates its hidden feature map, FiLM style,
h' = h * (1 + gamma_c) + beta_c, and (b) adds a per-class bias image to its output logits.
The embeddings start at zero, so training starts from exactly the ``cnn-vae`` decoder.

Where the label comes from at SR time:
- oracle: ``super_resolve(lr, labels=y)`` uses the dataset's labels;
- predicted: ``super_resolve(lr)`` (labels=None) uses a small CNN classifier on the LR image that
  is trained alongside (cross-entropy added to the loss). With ``soft_labels`` the decoder gets the
  probability-weighted mean embedding, so an unsure classifier blends classes instead of
  committing to a wrong one. ``classify(lr)`` returns the predicted labels.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sr_core.losses import vae_sr_loss
from sr_core.models.base import VAE_SR_LOSS_LABELS, SROutput, register
from sr_core.models.cnn_vae import LATENT, CNNVAE


@dataclass
class CNNVAEClassConfig:
    """Hyperparameters of ``cnn-vae-class`` (the first three as in ``cnn-vae``)."""

    enc_channels: tuple[int, int] = (16, 32)
    dec_channels: int = 4
    init_log_var: float = -4.0
    n_classes: int = 10
    cls_channels: tuple[int, int] = (16, 32)  # LR classifier: two conv layers, then a linear layer
    cls_weight: float = 0.1   # weight of the classifier's cross-entropy in the total loss
    soft_labels: bool = True  # predicted labels: probability-weighted embedding (True) or argmax (False)


class LRClassifier(nn.Module):
    """(B,1,14,14) LR in [0,1] -> (B, n_classes) logits: conv-ReLU-pool twice, dropout-free linear."""

    def __init__(self, channels: tuple[int, int], n_classes: int) -> None:
        super().__init__()
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (B, c1, 7, 7)
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, c2, 3, 3)
            nn.Flatten(), nn.Linear(c2 * 9, n_classes),
        )

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        return self.net(lr - 0.5)


@register
class CNNVAEClass(CNNVAE):
    """CNN-VAE (fixed) with a class-conditioned decoder; labels from the dataset or an LR classifier.

    Loss components: ``recon``, ``latent``, ``kl`` as in ``cnn-vae``; ``cls`` = cross-entropy of the
    LR classifier; ``total`` = alpha*recon + (1-alpha)*latent + kl_weight*kl + cls_weight*cls.
    """

    name = "cnn-vae-class"
    Config = CNNVAEClassConfig
    has_classifier = True
    takes_labels = True
    loss_labels = {**{k: v for k, v in VAE_SR_LOSS_LABELS.items() if k != "total"},
                   "cls": "cls = cross-entropy of the LR classifier", "total": "total (minimized)"}

    def __init__(self, config: CNNVAEClassConfig) -> None:
        super().__init__(config)
        hidden = config.dec_channels * LATENT * LATENT
        self.film = nn.Embedding(config.n_classes, 2 * hidden)  # gamma_c, beta_c on the hidden map
        self.out_bias = nn.Embedding(config.n_classes, 28 * 28)  # per-class bias image on the logits
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.out_bias.weight)
        self.classifier = LRClassifier(tuple(config.cls_channels), config.n_classes)

    # ------------------------------------------------------------------ labels
    def class_probs(self, x_lr: torch.Tensor) -> torch.Tensor:
        """(B,1,14,14) -> (B, n_classes) class probabilities from the LR classifier."""
        return self.classifier(x_lr).softmax(dim=1)

    @torch.no_grad()
    def classify(self, x_lr: torch.Tensor) -> torch.Tensor:
        """(B,1,14,14) LR -> (B,) predicted labels (int64)."""
        return self.classifier(x_lr).argmax(dim=1)

    def _weights(self, labels: torch.Tensor | None, x_lr: torch.Tensor) -> torch.Tensor:
        """(B, n_classes) class weights: one-hot of ``labels``, else the classifier's (soft) prediction."""
        n = self.config.n_classes
        if labels is not None:
            return F.one_hot(labels.long(), n).to(x_lr.dtype)
        probs = self.class_probs(x_lr)
        if self.config.soft_labels:
            return probs
        return F.one_hot(probs.argmax(dim=1), n).to(x_lr.dtype)

    # ------------------------------------------------------------------ decoder
    def decode(self, z: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """(B,1,14,14) latent in [0,1], (B, n_classes) class weights -> (B,1,28,28) in (0,1)."""
        h = torch.relu(self.dec_conv(z)).flatten(1)  # (B, dec_channels*196)
        bias = 0.0
        if weights is not None:
            gamma, beta = (weights @ self.film.weight).chunk(2, dim=1)
            h = h * (1.0 + gamma) + beta
            bias = weights @ self.out_bias.weight  # (B, 784)
        return torch.sigmoid(self.dec_fc(h) + bias).view(-1, 1, 28, 28)

    def forward(self, x_hr: torch.Tensor, lr: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                generator: torch.Generator | None = None, sample: bool = True) -> SROutput:
        lr = self.lr_of(x_hr, lr)
        post = self.encode(x_hr, generator)
        z = post.z if sample else post.mode()
        logits = self.classifier(lr)
        if labels is not None:
            weights = F.one_hot(labels.long(), self.config.n_classes).to(z.dtype)
        else:
            probs = logits.softmax(dim=1)
            weights = probs if self.config.soft_labels else F.one_hot(probs.argmax(1), self.config.n_classes).to(z.dtype)
        return SROutput(recon=self.decode(z, weights), z=z, mu=post.loc, sigma=post.scale,
                        extras={"logits": logits})

    def super_resolve(self, x_lr: torch.Tensor, labels: torch.Tensor | None = None,
                      generator: torch.Generator | None = None, *,
                      temperature: float | None = None) -> torch.Tensor:
        """(B,1,14,14) -> (B,1,28,28); oracle labels if given, else the LR classifier's prediction."""
        return self.decode(x_lr, self._weights(labels, x_lr))

    def loss(self, out: SROutput, hr: torch.Tensor, lr: torch.Tensor, *, alpha: float,
             kl_weight: float = 0.0, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        terms = vae_sr_loss(hr, out.recon, lr, out.z, out.mu, out.sigma, alpha=alpha, kl_weight=kl_weight)
        logits = out.extras["logits"]
        cls = F.cross_entropy(logits, labels) if labels is not None else logits.new_zeros(())
        total = terms["total"] + self.config.cls_weight * cls
        return {"recon": terms["recon"], "latent": terms["latent"], "kl": terms["kl"], "cls": cls, "total": total}
