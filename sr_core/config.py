"""Typed training configuration and named presets.

A :class:`TrainConfig` is everything needed to reproduce a run. It is saved as JSON in every run
folder and inside every checkpoint (``asdict``), and rebuilt with :func:`train_config_from_dict`.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from sr_core.errors import UserError


@dataclass
class TrainConfig:
    """One training run. Steps are batches; ``alpha_schedule`` is [(first_step, alpha), ...]."""

    model: str = "cnn-vae"
    model_config: dict[str, Any] = field(default_factory=dict)  # overrides of the model's defaults
    dataset: str = "fashion-mnist"
    degradation: str = "box"
    steps: int = 1500
    batch_size: int = 100
    lr: float = 1e-3
    lr_schedule: str = "constant"  # "constant", or "cosine": lr * (1 + cos(pi * step / steps)) / 2 (to 0)
    alpha_schedule: list[tuple[int, float]] = field(default_factory=lambda: [(0, 0.75), (1200, 0.25)])
    kl_weight: float = 0.0
    eval_every: int = 100      # test loss every N batches (paper: 50)
    eval_limit: int = 0        # test images used for the test loss; 0 = the whole test set
    checkpoint_every: int = 500
    seed: int = 0
    device: str = "auto"
    preset: str = ""
    # Adam's state doubles a checkpoint; a finished run keeps only weights unless this is set
    keep_optimizer: bool = False
    patch: int = 0             # HR patch side on photo datasets (0: 48, or 28 for the CNN-VAEs); see sr_core.photos
    # Early stopping (sr_core.early_stop): a validation split of ``val_split`` training images held out
    # (0: none; ``early_stop`` > 0 with 0 here holds out the default), stop after ``early_stop``
    # evaluations without improvement of ``early_stop_metric``; best.pt is kept beside checkpoint.pt.
    val_split: int = 0
    early_stop: int = 0
    early_stop_metric: str = "val_psnr"

    def validate(self) -> "TrainConfig":
        """Raise :class:`UserError` naming the first bad setting and its valid range."""
        from sr_core.models import model_class  # local: torch-free config (CLI start)
        model_class(self.model)
        if self.steps < 1:
            raise UserError(f"steps must be at least 1 (got {self.steps})")
        if self.batch_size < 1:
            raise UserError(f"batch size must be at least 1 (got {self.batch_size}); try 100")
        if not (math.isfinite(self.lr) and 0 < self.lr < 10):
            raise UserError(f"learning rate must be a positive number below 10 (got {self.lr}); try 1e-3")
        if self.lr_schedule not in LR_SCHEDULES:
            raise UserError(f"unknown learning-rate schedule '{self.lr_schedule}'; choose one of: "
                            f"{', '.join(LR_SCHEDULES)}")
        if not (math.isfinite(self.kl_weight) and self.kl_weight >= 0):
            raise UserError(f"KL weight must be a finite number, 0 or positive (got {self.kl_weight}); try 0")
        if not 0 <= self.seed <= MAX_SEED:
            raise UserError(f"seed must be a whole number from 0 to {MAX_SEED} (got {self.seed}); try 0")
        if self.eval_every < 1:
            raise UserError(f"test interval must be at least 1 batch (got {self.eval_every})")
        if self.eval_limit < 0:
            raise UserError(f"test-set limit must be 0 (all) or positive (got {self.eval_limit})")
        if self.checkpoint_every < 1:
            raise UserError(f"checkpoint interval must be at least 1 batch (got {self.checkpoint_every})")
        if not self.alpha_schedule:
            raise UserError("alpha schedule is empty; give at least one (step, alpha) pair such as 0:0.75")
        steps = [s for s, _ in self.alpha_schedule]
        if steps[0] != 0 or steps != sorted(steps) or len(set(steps)) != len(steps):
            raise UserError("alpha schedule must start at step 0 with strictly increasing steps, e.g. 0:0.75,2500:0.25")
        for _, a in self.alpha_schedule:
            if not 0.0 <= a <= 1.0:
                raise UserError(f"alpha must lie in [0, 1] (got {a})")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith("cuda:"):
            raise UserError(f"unknown device '{self.device}'; choose auto, cpu, cuda, cuda:N or mps")
        from sr_core.early_stop import check_early_stop  # local: torch-free config (CLI start)
        check_early_stop(self)
        from sr_core.degrade import get_degradation  # local: torch-free config (CLI start)
        from sr_core.photos import check_dataset_config  # local: torch-free config (CLI start)
        get_degradation(self.degradation)
        check_dataset_config(self.dataset, self.model, self.patch)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dict (tuples become lists)."""
        d = dataclasses.asdict(self)
        d["alpha_schedule"] = [[int(s), float(a)] for s, a in self.alpha_schedule]
        return d


# Seeds feed torch generators as seed * 1_000_003 + step (data order, noise): 2**32 - 1 keeps that
# far inside the 64 bits a torch generator accepts.
MAX_SEED = 2**32 - 1
_KINDS = {int: (int,), float: (int, float), str: (str,)}


def _check_types(values: dict[str, Any]) -> None:
    """Each setting of the right JSON type (a hand-edited config.json or checkpoint is one line)."""
    for f in dataclasses.fields(TrainConfig):
        if f.name not in values:
            continue
        v = values[f.name]
        kind = {"int": int, "float": float, "str": str}.get(str(f.type))
        if kind is not None:
            ok = isinstance(v, _KINDS[kind]) and not isinstance(v, bool)
        elif str(f.type) == "bool":
            ok = isinstance(v, bool)
        elif f.name == "model_config":
            ok = isinstance(v, dict)
        else:  # alpha_schedule
            ok = isinstance(v, (list, tuple)) and all(
                isinstance(p, (list, tuple)) and len(p) == 2 and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in p) for p in v)
        if not ok:
            raise UserError(f"training setting '{f.name}' has the wrong type ({type(v).__name__}: {v!r:.40}); "
                            f"fix the file or start a new run")


def train_config_from_dict(values: dict[str, Any]) -> TrainConfig:
    """Rebuild a :class:`TrainConfig` from its dict; unknown keys or wrong types are a one-line error."""
    if not isinstance(values, dict):
        raise UserError(f"training config is a {type(values).__name__}, not an object; fix the file or retrain")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown training setting(s): {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    _check_types(values)
    cfg = TrainConfig(**values)
    cfg.alpha_schedule = [(int(s), float(a)) for s, a in cfg.alpha_schedule]
    if isinstance(cfg.lr, int):
        cfg.lr = float(cfg.lr)
    if isinstance(cfg.kl_weight, int):
        cfg.kl_weight = float(cfg.kl_weight)
    return cfg


def parse_alpha_schedule(text: str) -> list[tuple[int, float]]:
    """Parse ``"0:0.75,2500:0.25"`` into [(0, 0.75), (2500, 0.25)]."""
    try:
        pairs = [p.split(":") for p in text.replace(" ", "").split(",") if p]
        return [(int(s), float(a)) for s, a in pairs]
    except ValueError:
        raise UserError(f"cannot read alpha schedule '{text}'; write step:alpha pairs such as 0:0.75,2500:0.25")


LR_SCHEDULES = ("constant", "cosine")


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate of batch ``step`` (0-based): a pure function of the step, so a resumed run
    continues on the same curve. ``cosine`` (Loshchilov & Hutter, SGDR, ICLR 2017, one cycle, no
    restarts) decays from ``lr`` at step 0 to 0 after the last step."""
    if config.lr_schedule == "cosine":
        return config.lr * 0.5 * (1.0 + math.cos(math.pi * min(step, config.steps) / max(config.steps, 1)))
    return config.lr


PRESETS: dict[str, dict[str, Any]] = {
    # The paper's experiment (Sec. IV-C): Adam 5e-6, batches of 100, 3,000 batches,
    # alpha 0.75 then 0.25 from batch 2,500, test loss every 50 batches on the 10k test set.
    "paper": dict(model="cnn-vae-paper", steps=3000, batch_size=100, lr=5e-6,
                  alpha_schedule=[(0, 0.75), (2500, 0.25)], eval_every=50, eval_limit=0,
                  checkpoint_every=500),
    # The fixed model at a learning rate that learns: a clearly trained model in about a minute on 2 CPU cores.
    "quick": dict(model="cnn-vae", steps=1500, batch_size=100, lr=1e-3,
                  alpha_schedule=[(0, 0.75), (1200, 0.25)], eval_every=100, eval_limit=0,
                  checkpoint_every=500),
    # The paper's schedule and batch count on the fixed model, at a usable learning rate.
    "paper-fixed": dict(model="cnn-vae", steps=3000, batch_size=100, lr=1e-3,
                        alpha_schedule=[(0, 0.75), (2500, 0.25)], eval_every=50, eval_limit=0,
                        checkpoint_every=500),
    # A few seconds: for smoke tests and trying the UI.
    "tiny": dict(model="cnn-vae", steps=60, batch_size=50, lr=1e-3,
                 alpha_schedule=[(0, 0.75), (40, 0.25)], eval_every=20, eval_limit=1000,
                 checkpoint_every=30),
    # Models beyond the paper (bench/quality.py trains these). Each trains in about 2-7 minutes on one
    # CPU thread; test loss on the first 2,000 test images keeps the evaluations cheap.
    # cnn-vae-class: the quick preset's schedule on the class-conditioned CNN-VAE (paper Sec. VI).
    "cnn-vae-class": dict(model="cnn-vae-class", steps=1500, batch_size=100, lr=1e-3,
                          alpha_schedule=[(0, 0.75), (1200, 0.25)], eval_every=100, eval_limit=0,
                          checkpoint_every=500),
    # cnn-vae-deep: the paper's objective and alpha schedule (0.75, then 0.25 for the last fifth) on the
    # fixed encoder with a convolutional decoder; 200k images, cosine decay, ~15 min on one CPU thread.
    "cnn-vae-deep": dict(model="cnn-vae-deep", steps=4000, batch_size=50, lr=1e-3, lr_schedule="cosine",
                         alpha_schedule=[(0, 0.75), (3200, 0.25)], eval_every=500, eval_limit=2000,
                         checkpoint_every=1000),
    # resnet-sr: alpha is unused (the loss is the pixel loss alone). 128k images (~2 epochs).
    "resnet-sr": dict(model="resnet-sr", steps=4000, batch_size=32, lr=1e-3, lr_schedule="cosine",
                      alpha_schedule=[(0, 1.0)], eval_every=500, eval_limit=2000, checkpoint_every=1000),
    # cvae-sr: alpha weighs the CVAE term against the temperature-0 SR term (hybrid objective).
    "cvae-sr": dict(model="cvae-sr", steps=4000, batch_size=32, lr=1e-3, lr_schedule="cosine",
                    alpha_schedule=[(0, 0.5)], eval_every=500, eval_limit=2000, checkpoint_every=1000),
    # The shipped checkpoints of the two strong models: 4x the batches (512k images, ~8.5 epochs),
    # cosine decay. About 20 and 30 minutes on one CPU thread.
    "resnet-sr-long": dict(model="resnet-sr", steps=16000, batch_size=32, lr=1e-3, lr_schedule="cosine",
                           alpha_schedule=[(0, 1.0)], eval_every=1000, eval_limit=2000, checkpoint_every=1000),
    "cvae-sr-long": dict(model="cvae-sr", steps=16000, batch_size=32, lr=1e-3, lr_schedule="cosine",
                         alpha_schedule=[(0, 0.5)], eval_every=1000, eval_limit=2000, checkpoint_every=1000),
    # Photos (scikit-image's sample photos, sr_core.photos): 48x48 luminance patches, bicubic degradation.
    # resnet-sr-photo: a wider, deeper body than the 28x28 one (48 channels x 6 blocks), 256k patches,
    # cosine decay; ~1 h on one CPU thread. The shipped photo checkpoint (scripts/make_checkpoints.py).
    "resnet-sr-photo": dict(model="resnet-sr", model_config={"channels": 48, "blocks": 6}, dataset="photos",
                            degradation="bicubic", patch=48, steps=8000, batch_size=32, lr=1e-3,
                            lr_schedule="cosine", alpha_schedule=[(0, 1.0)], eval_every=1000, eval_limit=0,
                            checkpoint_every=500),
    # The paper's CNN-VAE on 28x28 photo patches (its encoder's linear heads fix the size): the paper's
    # objective and the quick schedule, tiled over whole photographs at inference.
    "cnn-vae-photo": dict(model="cnn-vae", dataset="photos", degradation="bicubic", patch=28, steps=3000,
                          batch_size=100, lr=1e-3, lr_schedule="cosine", alpha_schedule=[(0, 0.75), (2400, 0.25)],
                          eval_every=500, eval_limit=0, checkpoint_every=500),
}

PRESET_HELP = {
    "paper": "the paper's experiment as written (cnn-vae-paper, Adam 5e-6, 3,000 batches of 100)",
    "quick": "cnn-vae, 1,500 batches at lr 1e-3: a clearly learning model in about a minute on CPU",
    "paper-fixed": "cnn-vae with the paper's 3,000-batch schedule at lr 1e-3",
    "tiny": "60 small batches: a smoke test in seconds",
    "cnn-vae-class": "cnn-vae with a class-conditioned decoder and an LR classifier, the quick schedule",
    "cnn-vae-deep": "the paper's objective and encoder with a convolutional (EDSR/ESPCN) decoder, ~15 min on CPU",
    "resnet-sr": "residual CNN + sub-pixel upsampling (deterministic, per-image log-MSE loss): the strong bar, ~3-4 min on CPU",
    "cvae-sr": "conditional VAE with a learned prior p(z|LR): many plausible HR images, ~5-7 min on CPU",
    "resnet-sr-long": "resnet-sr for 16,000 batches with cosine decay: the shipped checkpoint, ~20 min on CPU",
    "cvae-sr-long": "cvae-sr for 16,000 batches with cosine decay: the shipped checkpoint, ~30 min on CPU",
    "resnet-sr-photo": "resnet-sr (48 ch x 6 blocks) on 48x48 patches of scikit-image's photos: the shipped photo model, ~1 h on CPU",
    "cnn-vae-photo": "the paper's CNN-VAE on 28x28 patches of scikit-image's photos, tiled over whole photos, ~10 min on CPU",
}


def preset_config(name: str, **overrides: Any) -> TrainConfig:
    """The :class:`TrainConfig` of preset ``name`` with ``overrides`` applied (None values ignored)."""
    if name not in PRESETS:
        raise UserError(f"unknown preset '{name}'; choose one of: {', '.join(PRESETS)}")
    values = dict(PRESETS[name], preset=name)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values.get("early_stop") and not values.get("val_split"):  # early stopping needs a validation split
        from sr_core.early_stop import DEFAULT_VAL_SPLIT  # local: torch-free config (CLI start)
        values["val_split"] = DEFAULT_VAL_SPLIT
    return train_config_from_dict(values)
