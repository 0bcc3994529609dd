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
    # Early stopping (sr_core.monitor.early_stop): a validation split of ``val_split`` training images held out
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
        from sr_core.monitor.early_stop import check_early_stop  # local: torch-free config (CLI start)
        check_early_stop(self)
        from sr_core.degrade import get_degradation  # local: torch-free config (CLI start)
        from sr_core.photos import check_dataset_config  # local: torch-free config (CLI start)
        get_degradation(self.degradation)
        if self.degradation != "box" and self.model_config.get("consistent") is True:
            raise UserError(f"the LR-consistent projection (consistent=true) assumes the box degradation, not "
                            f"'{self.degradation}'; drop consistent from the model settings or use box")
        check_dataset_config(self.dataset, self.model, self.patch)
        return self

    def model_overrides(self) -> dict[str, Any]:
        """The model settings a run builds its model with: ``model_config``, plus ``consistent=False``
        for a model with the LR-consistent projection when the degradation is not ``box`` (the
        projection makes box(SR) == LR, which is wrong for bicubic LR), unless set explicitly."""
        from sr_core.models import model_class  # local: torch-free config (CLI start)
        fields = {f.name for f in dataclasses.fields(model_class(self.model).Config)}
        if self.degradation != "box" and "consistent" in fields and "consistent" not in self.model_config:
            return {**self.model_config, "consistent": False}
        return dict(self.model_config)

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
