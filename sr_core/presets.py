"""Named training presets: one table, each preset its help line and its settings.

``python -m sr_core models`` lists them, the Train and Sweeps pages offer them (the help under the
picker), ``train --preset NAME`` and ``scripts/make_checkpoints.py`` train from them. A preset's values
are :class:`~sr_core.config.TrainConfig` fields; :func:`preset_config` builds the validated config.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sr_core.config import TrainConfig, train_config_from_dict
from sr_core.errors import UserError


@dataclass(frozen=True)
class Preset:
    """``help``: one line for pickers and ``models``; ``values``: the TrainConfig fields it sets."""

    help: str
    values: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.values["model"])


PRESETS: dict[str, Preset] = {
    # The paper's experiment (Sec. IV-C): Adam 5e-6, batches of 100, 3,000 batches,
    # alpha 0.75 then 0.25 from batch 2,500, test loss every 50 batches on the 10k test set.
    "paper": Preset(
        "the paper's experiment as written (cnn-vae-paper, Adam 5e-6, 3,000 batches of 100)",
        dict(model="cnn-vae-paper", steps=3000, batch_size=100, lr=5e-6,
             alpha_schedule=[(0, 0.75), (2500, 0.25)], eval_every=50, eval_limit=0,
             checkpoint_every=500)),
    # The fixed model at a learning rate that learns: a clearly trained model in about a minute on 2 CPU cores.
    "quick": Preset(
        "cnn-vae, 1,500 batches at lr 1e-3: a clearly learning model in about a minute on CPU",
        dict(model="cnn-vae", steps=1500, batch_size=100, lr=1e-3,
             alpha_schedule=[(0, 0.75), (1200, 0.25)], eval_every=100, eval_limit=0,
             checkpoint_every=500)),
    # The paper's schedule and batch count on the fixed model, at a usable learning rate.
    "paper-fixed": Preset(
        "cnn-vae with the paper's 3,000-batch schedule at lr 1e-3",
        dict(model="cnn-vae", steps=3000, batch_size=100, lr=1e-3,
             alpha_schedule=[(0, 0.75), (2500, 0.25)], eval_every=50, eval_limit=0,
             checkpoint_every=500)),
    # A few seconds: for smoke tests and trying the UI.
    "tiny": Preset(
        "60 small batches: a smoke test in seconds",
        dict(model="cnn-vae", steps=60, batch_size=50, lr=1e-3,
             alpha_schedule=[(0, 0.75), (40, 0.25)], eval_every=20, eval_limit=1000,
             checkpoint_every=30)),
    # Models beyond the paper (bench/quality.py trains these). Each trains in about 2-7 minutes on one
    # CPU thread; test loss on the first 2,000 test images keeps the evaluations cheap.
    # cnn-vae-class: the quick preset's schedule on the class-conditioned CNN-VAE (paper Sec. VI).
    "cnn-vae-class": Preset(
        "cnn-vae with a class-conditioned decoder and an LR classifier, the quick schedule",
        dict(model="cnn-vae-class", steps=1500, batch_size=100, lr=1e-3,
             alpha_schedule=[(0, 0.75), (1200, 0.25)], eval_every=100, eval_limit=0,
             checkpoint_every=500)),
    # cnn-vae-deep: the paper's objective and alpha schedule (0.75, then 0.25 for the last fifth) on the
    # fixed encoder with a convolutional decoder; 200k images, cosine decay, ~15 min on one CPU thread.
    "cnn-vae-deep": Preset(
        "the paper's objective and encoder with a convolutional (EDSR/ESPCN) decoder, ~15 min on CPU",
        dict(model="cnn-vae-deep", steps=4000, batch_size=50, lr=1e-3, lr_schedule="cosine",
             alpha_schedule=[(0, 0.75), (3200, 0.25)], eval_every=500, eval_limit=2000,
             checkpoint_every=1000)),
    # resnet-sr: alpha is unused (the loss is the pixel loss alone). 128k images (~2 epochs).
    "resnet-sr": Preset(
        "residual CNN + sub-pixel upsampling (deterministic, per-image log-MSE loss): the strong bar, ~3-4 min on CPU",
        dict(model="resnet-sr", steps=4000, batch_size=32, lr=1e-3, lr_schedule="cosine",
             alpha_schedule=[(0, 1.0)], eval_every=500, eval_limit=2000, checkpoint_every=1000)),
    # cvae-sr: alpha weighs the CVAE term against the temperature-0 SR term (hybrid objective).
    "cvae-sr": Preset(
        "conditional VAE with a learned prior p(z|LR): many plausible HR images, ~5-7 min on CPU",
        dict(model="cvae-sr", steps=4000, batch_size=32, lr=1e-3, lr_schedule="cosine",
             alpha_schedule=[(0, 0.5)], eval_every=500, eval_limit=2000, checkpoint_every=1000)),
    # The shipped checkpoints of the two strong models: 4x the batches (512k images, ~8.5 epochs),
    # cosine decay. About 20 and 30 minutes on one CPU thread.
    "resnet-sr-long": Preset(
        "resnet-sr for 16,000 batches with cosine decay: the shipped checkpoint, ~20 min on CPU",
        dict(model="resnet-sr", steps=16000, batch_size=32, lr=1e-3, lr_schedule="cosine",
             alpha_schedule=[(0, 1.0)], eval_every=1000, eval_limit=2000, checkpoint_every=1000)),
    "cvae-sr-long": Preset(
        "cvae-sr for 16,000 batches with cosine decay: the shipped checkpoint, ~30 min on CPU",
        dict(model="cvae-sr", steps=16000, batch_size=32, lr=1e-3, lr_schedule="cosine",
             alpha_schedule=[(0, 0.5)], eval_every=1000, eval_limit=2000, checkpoint_every=1000)),
    # Photos (scikit-image's sample photos, sr_core.photos): 48x48 luminance patches, bicubic degradation.
    # resnet-sr-photo: a wider, deeper body than the 28x28 one (48 channels x 6 blocks), 256k patches,
    # cosine decay; ~1 h on one CPU thread. The shipped photo checkpoint (scripts/make_checkpoints.py).
    "resnet-sr-photo": Preset(
        "resnet-sr (48 ch x 6 blocks) on 48x48 patches of scikit-image's photos: the shipped photo model, ~1 h on CPU",
        dict(model="resnet-sr", model_config={"channels": 48, "blocks": 6}, dataset="photos",
             degradation="bicubic", patch=48, steps=8000, batch_size=32, lr=1e-3,
             lr_schedule="cosine", alpha_schedule=[(0, 1.0)], eval_every=1000, eval_limit=0,
             checkpoint_every=500)),
    # The paper's CNN-VAE on 28x28 photo patches (its encoder's linear heads fix the size): the paper's
    # objective and the quick schedule, tiled over whole photographs at inference.
    "cnn-vae-photo": Preset(
        "the paper's CNN-VAE on 28x28 patches of scikit-image's photos, tiled over whole photos, ~10 min on CPU",
        dict(model="cnn-vae", dataset="photos", degradation="bicubic", patch=28, steps=3000,
             batch_size=100, lr=1e-3, lr_schedule="cosine", alpha_schedule=[(0, 0.75), (2400, 0.25)],
             eval_every=500, eval_limit=0, checkpoint_every=500)),
}


def preset_config(name: str, **overrides: Any) -> TrainConfig:
    """The :class:`TrainConfig` of preset ``name`` with ``overrides`` applied (None values ignored)."""
    if name not in PRESETS:
        raise UserError(f"unknown preset '{name}'; choose one of: {', '.join(PRESETS)}")
    values = dict(PRESETS[name].values, preset=name)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values.get("early_stop") and not values.get("val_split"):  # early stopping needs a validation split
        from sr_core.monitor.early_stop import DEFAULT_VAL_SPLIT  # local: torch-free config (CLI start)
        values["val_split"] = DEFAULT_VAL_SPLIT
    return train_config_from_dict(values)
