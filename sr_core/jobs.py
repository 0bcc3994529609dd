"""Wiring a :class:`Trainer` to a run folder, in the caller's thread or as a background job.

``prepare_run`` builds (or resumes) a run: data, model, optimizer state, run folder, and a recorder
that writes ``metrics.csv`` and ``status.json``. :class:`TrainJob` runs it in a background thread
with ``start / stop / status / snapshot / join`` and no UI code, so the CLI, the Streamlit app and
the benchmarks all drive the same object.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from .checkpoint import load_checkpoint, model_from_checkpoint
from .config import TrainConfig, train_config_from_dict
from .data import check_batch_size, load_split, recorded_data_dir, resolve_data_dir
from .errors import UserError
from .fs import atomic_write_text
from .models import build_model
from .photos import is_photo_dataset, resolve_patch
from .runs import RunDir, check_runs_dir, create_run, get_run
from .trainer import Trainer, resolve_device


class RunRecorder:
    """Trainer callbacks that persist a run: metrics rows and status; releases the run's lock at the end.

    Rows are buffered and appended at each evaluation and *before* each checkpoint is written, so a
    kill at any moment leaves metrics.csv covering the checkpoint's step (see :mod:`sr_core.runlog`).
    """

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self._rows: list[dict[str, Any]] = []

    def attach(self, trainer: Trainer) -> None:
        trainer.add_callback("on_step", lambda t, row: self._rows.append(row))
        trainer.add_callback("on_eval", self._on_eval)
        trainer.add_callback("before_checkpoint", lambda t, info: self.flush())
        trainer.add_callback("on_checkpoint", self._on_checkpoint)
        trainer.add_callback("on_end", self._on_end)

    def flush(self) -> None:
        self.run.append_metrics(self._rows)
        self._rows = []

    def _on_eval(self, trainer: Trainer, row: dict[str, Any]) -> None:
        self._rows.append(row)
        self.flush()
        self.run.write_status(status="running", step=trainer.step, best_test_loss=trainer.best_test_loss)

    def _on_checkpoint(self, trainer: Trainer, info: dict[str, Any]) -> None:
        self.run.write_status(status="running", checkpoint_step=info["step"])

    def _on_end(self, trainer: Trainer, info: dict[str, Any]) -> None:
        try:
            self.flush()
            self.run.write_status(status=info["status"], step=trainer.step, best_test_loss=trainer.best_test_loss,
                                  message=info.get("message", ""))
        finally:
            self.run.release_lock()


# Options that may change when a run is resumed; everything else (model, data, seed) makes the run.
RESUMABLE = ("steps", "batch_size", "lr", "lr_schedule", "alpha_schedule", "kl_weight", "eval_every",
             "eval_limit", "checkpoint_every", "device", "keep_optimizer")


def _apply_resume_overrides(run: RunDir, cfg: TrainConfig, overrides: dict[str, Any] | None,
                             start_step: int, command: list[str] | None) -> TrainConfig:
    """Apply the options given with a resume and record them in config.json (one-line error for the rest)."""
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    fixed = sorted(set(given) - set(RESUMABLE))
    if fixed:
        raise UserError(f"{', '.join(fixed)} cannot change when resuming run '{run.name}' (they define the run); "
                        f"drop them, or start a new run with them")
    before = cfg.to_dict()
    for k, v in given.items():
        setattr(cfg, k, [(int(a), float(b)) for a, b in v] if k == "alpha_schedule" else v)
    after = cfg.to_dict()
    changes = {k: [before[k], after[k]] for k in given if before[k] != after[k]}
    cfg.validate()
    if changes:
        meta = run.config()
        meta["train"] = cfg.to_dict()
        meta.setdefault("resumes", []).append({"at_step": start_step, "changes": changes,
                                               "command": command or sys.argv})
        atomic_write_text(run.config_path, json.dumps(meta, indent=2))
    return cfg


def _open_for_resume(resume: str, runs_dir: str | os.PathLike | None, overrides: dict[str, Any] | None,
                     command: list[str] | None) -> tuple[RunDir, dict[str, Any] | None, TrainConfig]:
    """Lock the run, clean what a killed writer left, read its checkpoint (None: it has none yet, so it
    starts again from step 0 with its config.json) and apply the overrides."""
    run = get_run(resume, runs_dir)
    run.acquire_lock(action="resume")
    run.remove_stale_temp_files()
    if run.checkpoint_path.is_file():
        ckpt: dict[str, Any] | None = load_checkpoint(run.checkpoint_path)
        cfg = train_config_from_dict(ckpt.get("train_config") or {})
        start_step = int(ckpt.get("step", 0))
    else:  # killed before its first checkpoint: start again from step 0 with the settings it was made with
        ckpt = None
        cfg = train_config_from_dict(run.config().get("train") or {})
        start_step = 0
    resolve_device((overrides or {}).get("device") or cfg.device)
    steps = (overrides or {}).get("steps") or cfg.steps
    if start_step >= steps:
        raise UserError(f"run '{run.name}' already has {start_step} of {steps} steps; "
                        f"pass --steps N with N > {start_step} to train further")
    cfg = _apply_resume_overrides(run, cfg, overrides, start_step, command)
    return run, ckpt, cfg


OPTIMIZER_RESET = ("continuing with a fresh Adam optimizer: the run had finished, and a finished run keeps only "
                   "its weights (train with --keep-optimizer to keep the optimizer state)")


def record_optimizer_reset(run: RunDir, start_step: int, command: list[str] | None) -> str:
    """Note in config.json's ``resumes`` that a lean checkpoint continues with a fresh optimizer;
    returns the one line to show."""
    meta = run.config()
    meta.setdefault("resumes", []).append({"at_step": start_step, "optimizer": "reset (not kept after finishing)",
                                           "command": command or sys.argv})
    atomic_write_text(run.config_path, json.dumps(meta, indent=2))
    return OPTIMIZER_RESET


def prepare_run(config: TrainConfig | None = None, *, runs_dir: str | os.PathLike | None = None,
                name: str | None = None, resume: str | None = None, data_dir: str | os.PathLike | None = None,
                command: list[str] | None = None, steps: int | None = None,
                overrides: dict[str, Any] | None = None) -> tuple[Trainer, RunDir]:
    """A trainer attached to a new run folder (``config``) or to an existing one (``resume``).

    The run's lock is held from here until the trainer ends (a second writer gets a one-line error).
    On resume the step count, optimizer state and best test loss come from the checkpoint; the options
    in ``overrides`` (see :data:`RESUMABLE`; ``steps`` too) are applied and recorded in config.json, and
    metrics.csv is repaired to one row per step up to the checkpoint. Device, runs folder, data and
    batch size are checked before a new run folder exists. Errors are one-line UserErrors.
    """
    run: RunDir | None = None
    notice = ""
    try:
        if resume:
            overrides = dict(overrides or {})
            if steps is not None:
                overrides["steps"] = steps
            if config is not None and config.device != "auto":
                overrides.setdefault("device", config.device)
            run, ckpt, cfg = _open_for_resume(resume, runs_dir, overrides, command)
            device = resolve_device(cfg.device)
            if ckpt is None:
                model = build_model(cfg.model, cfg.model_config, seed=cfg.seed)
                start_step, opt_state, best = 0, None, None
            else:
                model, _ = model_from_checkpoint(ckpt, map_location=device)
                start_step = int(ckpt.get("step", 0))
                opt_state = ckpt.get("optimizer_state")
                best = (ckpt.get("extra") or {}).get("best_test_loss")
                if opt_state is None:
                    notice = record_optimizer_reset(run, start_step, command)
        else:
            if config is None:
                raise ValueError("prepare_run needs a config or a run to resume")
            check_runs_dir(runs_dir)
            cfg = config.validate()
            device = resolve_device(cfg.device)
            model = build_model(cfg.model, cfg.model_config, seed=cfg.seed)
            start_step, opt_state, best = 0, None, None
        if data_dir is None and run is not None:
            data_dir = recorded_data_dir(run.path, cfg.dataset)
        patch = resolve_patch(cfg.model, cfg.patch) if is_photo_dataset(cfg.dataset) else 0
        train = load_split(cfg.dataset, train=True, data_dir=data_dir, patch=patch)
        test = load_split(cfg.dataset, train=False, data_dir=data_dir, patch=patch)
        check_batch_size(cfg.batch_size, len(train))
        if run is None:
            run = create_run(cfg.to_dict(), runs_dir=runs_dir, name=name, command=command, lock=True,
                             data_dir=str(resolve_data_dir(data_dir, cfg.dataset).resolve()))
        else:
            # Trainer.run evaluates again first when it starts at 0 or without a test loss: that row is redone.
            run.truncate_metrics(start_step, redo_test=start_step == 0 or best is None)
        trainer = Trainer(model, cfg, train, test, checkpoint_path=str(run.checkpoint_path),
                          start_step=start_step, optimizer_state=opt_state, best_test_loss=best, device=device)
        trainer.set_notice(notice)
    except BaseException:
        if run is not None:
            run.release_lock()
        raise
    RunRecorder(run).attach(trainer)
    run.write_status(status="ready", step=start_step, total_steps=cfg.steps)
    return trainer, run


class TrainJob:
    """A trainer running in a background thread: ``start()``, ``stop()``, ``status``, ``snapshot()``, ``join()``."""

    def __init__(self, trainer: Trainer, run: RunDir | None = None, torch_threads: int | None = None) -> None:
        self.trainer, self.run = trainer, run
        self.torch_threads = torch_threads
        self.error: str = ""
        self._thread: threading.Thread | None = None

    def start(self) -> "TrainJob":
        if self._thread is not None:
            raise RuntimeError("job already started")
        self._thread = threading.Thread(target=self._main, name=f"train-{self.run.name if self.run else ''}",
                                        daemon=True)
        self._thread.start()
        return self

    def _main(self) -> None:
        if self.torch_threads:
            import torch
            torch.set_num_threads(self.torch_threads)
        try:
            self.trainer.run()
        except Exception as exc:  # reported through status/snapshot; the thread must not die silently
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        """Request a stop; the trainer saves a checkpoint and ends within one batch."""
        self.trainer.request_stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def status(self) -> str:
        return self.trainer.snapshot()["status"]

    def snapshot(self) -> dict[str, Any]:
        snap = self.trainer.snapshot()
        snap["run_name"] = self.run.name if self.run else ""
        snap["run_path"] = str(self.run.path) if self.run else ""
        snap["error"] = self.error
        return snap
