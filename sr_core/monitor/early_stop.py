"""Early stopping on a validation split held out from the training images, and the best checkpoint.

Choices made during training (when to stop, which weights are "best") are made on validation images,
never on the test set every published number is scored on. With ``val_split`` N > 0 the run holds out
N training images, drawn by a generator seeded from the run seed alone (:func:`val_seed`; never the
global RNG), and trains on the rest (so its data order differs from a run without one: opt-in).
At each test evaluation :class:`EarlyStopper` adds ``val_total`` (the loss at the current alpha, fixed
noise) and ``val_psnr`` (decoder-only SR PSNR, temperature 0, :mod:`sr_core.monitor.quality`'s protocol) to
the test row; when ``early_stop_metric`` improves, the weights go to ``best.pt`` beside
``checkpoint.pt`` (weights only, atomic); after ``early_stop`` evaluations without improvement the run
ends as finished, with a message. ``val_psnr`` is the default metric: it does not jump when alpha
changes, the loss does.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from sr_core.checkpoint import save_checkpoint
from sr_core.data import Split
from sr_core.degrade import get_degradation, to_float
from sr_core.errors import UserError
from sr_core.metrics import psnr
from sr_core.photos import is_photo_dataset
from sr_core.seeds import STREAM_STRIDE, eval_noise_seed

DEFAULT_VAL_SPLIT = 2000      # validation images when --early-stop is given without --val-split
METRICS = {"val_psnr": +1, "val_loss": -1}  # metric -> direction (+1: higher is better)
VAL_COLUMNS = ("val_total", "val_psnr")
VAL_OFFSET = 4_242_424        # val_seed(seed) = seed * STREAM_STRIDE + VAL_OFFSET: its own stream
BEST_NAME = "best.pt"
_BATCH = 1000


def val_seed(seed: int) -> int:
    """Seed of the draw of the validation images of a run with seed ``seed``."""
    return seed * STREAM_STRIDE + VAL_OFFSET


def check_early_stop(cfg: Any) -> None:
    """One-line UserError for bad early-stopping settings of a TrainConfig."""
    if cfg.val_split < 0:
        raise UserError(f"validation split must be 0 (none) or a number of training images (got {cfg.val_split})")
    if cfg.early_stop < 0:
        raise UserError(f"early stop must be 0 (off) or a number of evaluations (got {cfg.early_stop}); try 5")
    if cfg.early_stop_metric not in METRICS:
        raise UserError(f"unknown early-stop metric '{cfg.early_stop_metric}'; choose one of: {', '.join(METRICS)}")
    if cfg.early_stop and not cfg.val_split:
        raise UserError("early stopping needs a validation split, and this run has none (it cannot be added "
                        "to a run that has started); start a new run with --early-stop K")
    if cfg.val_split and is_photo_dataset(cfg.dataset):
        raise UserError(f"a validation split is not offered on photo datasets ({cfg.dataset}); drop "
                        f"--val-split/--early-stop")


def split_validation(train: Split, n_val: int, seed: int) -> tuple[Split, Split]:
    """(training images kept, validation images): ``n_val`` images drawn with :func:`val_seed`, both in
    their original order. A split too small for it is a one-line UserError."""
    n = len(train)
    if not 0 < n_val <= n // 2:
        raise UserError(f"validation split of {n_val} images does not fit {n} training images; use at most "
                        f"{n // 2}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(val_seed(seed)))
    val_idx, keep_idx = perm[:n_val].sort().values, perm[n_val:].sort().values
    part = lambda idx: Split(train.name, True, train.images[idx], train.labels[idx], train.classes)  # noqa: E731
    return part(keep_idx), part(val_idx)


class EarlyStopper:
    """A trainer eval hook: validation metrics, ``best.pt`` on improvement, early stop after ``patience``.

    ``history``: earlier test rows of a resumed run (their ``val_*`` columns restore the best value)."""

    def __init__(self, val: Split, cfg: Any, device: torch.device, best_path: str | Path | None,
                 history: list[dict[str, Any]] | None = None) -> None:
        self.cfg, self.best_path = cfg, Path(best_path) if best_path else None
        self.metric, self.sign = cfg.early_stop_metric, METRICS[cfg.early_stop_metric]
        self.patience = cfg.early_stop
        self.images = val.images.to(device)  # (V, 28, 28) uint8
        self.labels = val.labels.to(device)
        self.degrade = get_degradation(cfg.degradation)
        self.best: float | None = None
        self.best_step: int | None = None
        self.since_best = 0
        for row in history or []:
            value = self._value(row)
            if value is not None and row.get("split") == "test":
                self._observe(value, int(row["step"]))

    def _value(self, row: dict[str, Any]) -> float | None:
        v = row.get("val_total" if self.metric == "val_loss" else "val_psnr")
        return None if v is None or not math.isfinite(v) else float(v)

    def _observe(self, value: float, step: int) -> bool:
        """Record one evaluation; True when it is the best so far."""
        if self.best is None or self.sign * (value - self.best) > 0:
            self.best, self.best_step, self.since_best = value, step, 0
            return True
        self.since_best += 1
        return False

    @torch.no_grad()
    def evaluate(self, model: Any, alpha: float) -> dict[str, float]:
        """{"val_total", "val_psnr"} over the validation images (fixed noise; model mode restored)."""
        was_training = model.training
        model.eval()
        dev = self.images.device
        gen = torch.Generator(device=dev).manual_seed(eval_noise_seed(self.cfg.seed))
        sgen = torch.Generator(device=dev).manual_seed(0)
        total, ps, n = 0.0, 0.0, self.images.shape[0]
        try:
            for i in range(0, n, _BATCH):
                hr = to_float(self.images[i:i + _BATCH])  # (b, 1, 28, 28)
                lr, labels = self.degrade(hr), self.labels[i:i + _BATCH]
                out = model(hr, lr=lr, labels=labels, generator=gen)
                terms = model.loss(out, hr, lr, alpha=alpha, kl_weight=self.cfg.kl_weight, labels=labels)
                total += float(terms["total"]) * hr.shape[0]
                sr = model.super_resolve(lr, labels=labels, generator=sgen, temperature=0.0).clamp(0, 1)
                ps += float(psnr(sr, hr).sum())
        finally:
            model.train(was_training)
        return {"val_total": total / n, "val_psnr": ps / n}

    def __call__(self, trainer: Any, alpha: float) -> dict[str, float]:
        values = self.evaluate(trainer.model, alpha)
        value = self._value(values)
        if value is None:
            return values
        if self._observe(value, trainer.step):
            if self.best_path is not None:
                save_checkpoint(self.best_path, trainer.model, train_config=self.cfg.to_dict(), step=trainer.step,
                                extra={"best_metric": self.metric, "best_value": value,
                                       "chosen_on": f"{len(self.images)} validation images held out of training"})
        elif self.patience and self.since_best >= self.patience:
            trainer.finish_early(f"early stop at step {trainer.step}: {self.metric} has not improved for "
                                 f"{self.since_best} evaluations (best {self.best:.4f} at step {self.best_step}, "
                                 f"kept as {BEST_NAME})")
        return values
