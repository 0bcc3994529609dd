"""The training monitor's wiring: quality columns, validation/early stopping and the preview history
attached to a trainer and its run folder (called by :func:`sr_core.runs.jobs.prepare_run`).

Every piece only adds: the losses, data order and noise of a run without a validation split are the
same with the monitor on or off (its passes use their own seeded generators).
"""
from __future__ import annotations

import json
from typing import Any

from sr_core.data import Split
from sr_core.monitor.early_stop import BEST_NAME, EarlyStopper, split_validation, val_seed
from sr_core.fs import atomic_write_text
from sr_core.monitor.history import HISTORY_NAME, PreviewHistory
from sr_core.photos import is_photo_dataset
from sr_core.monitor.quality import QUALITY_PROTOCOL, QualityProbe


def hold_out(train: Split, cfg: Any) -> tuple[Split, Split | None]:
    """(training images, validation images or None) for ``cfg.val_split``."""
    if not cfg.val_split:
        return train, None
    return split_validation(train, cfg.val_split, cfg.seed)


def record_protocol(run: Any, cfg: Any, n_train: int) -> None:
    """State in config.json how the monitor's numbers are made (quality subset, validation split)."""
    meta = run.config()
    meta["monitor"] = {"quality": QUALITY_PROTOCOL}
    if cfg.val_split:
        meta["monitor"]["validation"] = (
            f"{cfg.val_split} images held out of the {n_train + cfg.val_split} training images (drawn with "
            f"seed {val_seed(cfg.seed)}, never trained on); early stopping and {BEST_NAME} are chosen on them "
            f"by {cfg.early_stop_metric}" + (f", patience {cfg.early_stop} evaluations" if cfg.early_stop else ""))
    atomic_write_text(run.config_path, json.dumps(meta, indent=2))


def attach_monitor(trainer: Any, run: Any, test: Split, val: Split | None, start_step: int) -> None:
    """Quality hook, early stopper (with ``val``) and preview history on ``trainer`` for ``run``."""
    cfg = trainer.config
    if not is_photo_dataset(cfg.dataset):
        trainer.add_eval_hook(QualityProbe(test, cfg.degradation, trainer.device))
    if val is not None:
        history = run.read_metrics() if start_step else None
        trainer.add_eval_hook(EarlyStopper(val, cfg, trainer.device, run.path / BEST_NAME, history))
    trainer.add_callback("on_eval", PreviewHistory(run.path / HISTORY_NAME, upto=start_step))
