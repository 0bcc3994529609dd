"""Wiring a :class:`Trainer` to a run folder, in the caller's thread or as a background job.

The one hand-off of a training request: :func:`start_job` (a new run from a validated config) and
:func:`resume_job` (an existing run by name) build the run — data, model, optimizer state, run
folder, and a recorder that writes ``metrics.csv`` and ``status.json`` — and return a
:class:`TrainJob`, which runs it in a background thread (``start``) or in the caller's
(``run_here``), with ``stop / status / snapshot / join`` and no UI code, so the CLI, the Streamlit
app, sweeps and the benchmarks all drive the same object. The config is validated once, here where
the run is built; the device is re-checked at start. ``prepare_run`` remains as the lower-level pair
``(trainer, run)`` for scripts and tests.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import replace
from typing import Any

import torch

from sr_core.checkpoint import load_checkpoint, model_from_checkpoint
from sr_core.config import TrainConfig, train_config_from_dict
from sr_core.data import check_batch_size, load_split, recorded_data_dir, resolve_data_dir
from sr_core.device import resolve_device
from sr_core.errors import UserError
from sr_core.fs import atomic_write_text
from sr_core.models import build_model
from sr_core.monitor.attach import attach_monitor, hold_out, record_protocol
from sr_core.photos import is_photo_dataset, resolve_patch
from sr_core.runs.store import RunDir, check_runs_dir, create_run, get_run
from sr_core.runs.status import RunStatus
from sr_core.threads import start_daemon
from sr_core.trainer import Trainer, TrainSnapshot


class RunRecorder:
    """Trainer callbacks that persist a run: metrics rows and status; releases the run's lock at the end.

    Rows are buffered and appended at each evaluation and *before* each checkpoint is written, so a
    kill at any moment leaves metrics.csv covering the checkpoint's step (see :mod:`sr_core.runs.metrics_log`).
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
        self.run.write_status(status=RunStatus.RUNNING, step=trainer.step, best_test_loss=trainer.best_test_loss)

    def _on_checkpoint(self, trainer: Trainer, info: dict[str, Any]) -> None:
        self.run.write_status(status=RunStatus.RUNNING, checkpoint_step=info["step"])

    def _on_end(self, trainer: Trainer, info: dict[str, Any]) -> None:
        try:
            self.flush()
            self.run.write_status(status=info["status"], step=trainer.step, best_test_loss=trainer.best_test_loss,
                                  message=info.get("message", ""))
        finally:
            self.run.release_lock()


# Options that may change when a run is resumed; everything else (model, data, seed) makes the run.
RESUMABLE = ("steps", "batch_size", "lr", "lr_schedule", "alpha_schedule", "kl_weight", "eval_every",
             "eval_limit", "checkpoint_every", "device", "keep_optimizer", "early_stop", "early_stop_metric")


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


def _new_run(config: TrainConfig, *, runs_dir: str | os.PathLike | None, name: str | None,
             data_dir: str | os.PathLike | None, command: list[str] | None,
             monitor: bool = True) -> tuple[Trainer, RunDir]:
    """A trainer attached to a new run folder of ``config`` (validated here, the one place)."""
    cfg = config.validate()  # before anything touches the disk
    check_runs_dir(runs_dir)
    device = resolve_device(cfg.device)
    model = build_model(cfg.model, cfg.model_overrides(), seed=cfg.seed)
    return _attach(cfg, model, device, None, runs_dir=runs_dir, name=name, data_dir=data_dir, command=command,
                   monitor=monitor)


def _resumed_run(resume: str, *, runs_dir: str | os.PathLike | None, data_dir: str | os.PathLike | None,
                 command: list[str] | None, overrides: dict[str, Any], monitor: bool = True) -> tuple[Trainer, RunDir]:
    """A trainer attached to existing run ``resume`` (lock held from here; released on any error)."""
    run, ckpt, cfg = _open_for_resume(resume, runs_dir, overrides, command)
    try:
        device = resolve_device(cfg.device)
        notice = ""
        if ckpt is None:
            model = build_model(cfg.model, cfg.model_overrides(), seed=cfg.seed)
            state = (0, None, None)
        else:
            model, _ = model_from_checkpoint(ckpt, map_location=device)
            state = (int(ckpt.get("step", 0)), ckpt.get("optimizer_state"),
                     (ckpt.get("extra") or {}).get("best_test_loss"))
            if state[1] is None:
                notice = record_optimizer_reset(run, state[0], command)
        if data_dir is None:
            data_dir = recorded_data_dir(run.path, cfg.dataset)
        trainer, run = _attach(cfg, model, device, run, runs_dir=runs_dir, data_dir=data_dir, command=command,
                               state=state, monitor=monitor)
    except BaseException:
        run.release_lock()
        raise
    trainer.set_notice(notice)
    return trainer, run


def _attach(cfg: TrainConfig, model: Any, device: Any, run: RunDir | None, *, runs_dir: str | os.PathLike | None,
            data_dir: str | os.PathLike | None, command: list[str] | None, name: str | None = None,
            state: tuple[int, Any, float | None] = (0, None, None), monitor: bool = True) -> tuple[Trainer, RunDir]:
    """Load the data, make the run folder (new runs) or cut its metrics (resumed), build the trainer and
    the recorder. ``state``: (start step, optimizer state, best test loss). ``monitor``: quality columns,
    validation metrics/early stopping and the preview history (:mod:`sr_core.monitor.attach`); off only to
    measure what they cost (the losses are the same)."""
    start_step, opt_state, best = state
    created = run is None
    try:
        patch = resolve_patch(cfg.model, cfg.patch) if is_photo_dataset(cfg.dataset) else 0
        train = load_split(cfg.dataset, train=True, data_dir=data_dir, patch=patch)
        test = load_split(cfg.dataset, train=False, data_dir=data_dir, patch=patch)
        train, val = hold_out(train, cfg)  # cfg.val_split images held out (sr_core.monitor.early_stop); none by default
        check_batch_size(cfg.batch_size, len(train))
        if run is None:
            run = create_run(cfg.to_dict(), runs_dir=runs_dir, name=name, command=command, lock=True,
                             data_dir=str(resolve_data_dir(data_dir, cfg.dataset).resolve()))
            record_protocol(run, cfg, len(train))
        else:
            # Trainer.run evaluates again first when it starts at 0 or without a test loss: that row is redone.
            run.truncate_metrics(start_step, redo_test=start_step == 0 or best is None)
        trainer = Trainer(model, cfg, train, test, checkpoint_path=str(run.checkpoint_path),
                          start_step=start_step, optimizer_state=opt_state, best_test_loss=best, device=device)
        if monitor:
            attach_monitor(trainer, run, test, val, start_step)
    except BaseException:
        if created and run is not None:
            run.release_lock()
        raise
    RunRecorder(run).attach(trainer)
    run.write_status(status=RunStatus.READY, step=start_step, total_steps=cfg.steps)
    return trainer, run


def start_job(config: TrainConfig, *, runs_dir: str | os.PathLike | None = None, name: str | None = None,
              data_dir: str | os.PathLike | None = None, command: list[str] | None = None,
              torch_threads: int | None = None, monitor: bool = True) -> "TrainJob":
    """A job that trains a new run of ``config`` (not started: ``start()`` or ``run_here()``).

    Checks (one-line UserErrors) before any run folder exists: settings, device, runs folder, data and
    batch size. The run's lock is held from here until the trainer ends (a second writer is refused)."""
    trainer, run = _new_run(config, runs_dir=runs_dir, name=name, data_dir=data_dir, command=command, monitor=monitor)
    return TrainJob(trainer, run, torch_threads=torch_threads)


def resume_job(name: str, *, steps: int | None = None, runs_dir: str | os.PathLike | None = None,
               data_dir: str | os.PathLike | None = None, command: list[str] | None = None,
               overrides: dict[str, Any] | None = None, torch_threads: int | None = None,
               monitor: bool = True) -> "TrainJob":
    """A job that continues run ``name`` from its checkpoint (not started).

    The step count, optimizer state and best test loss come from the checkpoint; the options in
    ``overrides`` (see :data:`RESUMABLE`; ``steps`` too) are applied and recorded in config.json, and
    metrics.csv is repaired to one row per step up to the checkpoint."""
    overrides = dict(overrides or {})
    if steps is not None:
        overrides["steps"] = int(steps)
    trainer, run = _resumed_run(name, runs_dir=runs_dir, data_dir=data_dir, command=command, overrides=overrides,
                                monitor=monitor)
    return TrainJob(trainer, run, torch_threads=torch_threads)


def prepare_run(config: TrainConfig | None = None, *, runs_dir: str | os.PathLike | None = None,
                name: str | None = None, resume: str | None = None, data_dir: str | os.PathLike | None = None,
                command: list[str] | None = None, steps: int | None = None,
                overrides: dict[str, Any] | None = None, monitor: bool = True) -> tuple[Trainer, RunDir]:
    """``(trainer, run)`` of :func:`start_job` (``config``) or :func:`resume_job` (``resume``), for scripts
    and tests that drive a :class:`Trainer` themselves."""
    if resume:
        overrides = dict(overrides or {})
        if config is not None and config.device != "auto":
            overrides.setdefault("device", config.device)
        job = resume_job(resume, steps=steps, runs_dir=runs_dir, data_dir=data_dir, command=command,
                         overrides=overrides, monitor=monitor)
    elif config is None:
        raise ValueError("prepare_run needs a config or a run to resume")
    else:
        job = start_job(config, runs_dir=runs_dir, name=name, data_dir=data_dir, command=command, monitor=monitor)
    return job.trainer, job.run


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
        self._thread = start_daemon(self._main, f"train-{self.run.name if self.run else ''}")
        return self

    def run_here(self) -> RunStatus:
        """Train in the calling thread (the CLI, a sweep trial); returns the final status."""
        return self.trainer.run()

    def _main(self) -> None:
        if self.torch_threads:
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
        return self.trainer.snapshot().status

    def snapshot(self) -> TrainSnapshot:
        """The trainer's snapshot with this job's run folder and thread error filled in."""
        return replace(self.trainer.snapshot(), run_name=self.run.name if self.run else "",
                       run_path=str(self.run.path) if self.run else "", error=self.error)
