"""Wiring a :class:`Trainer` to a run folder, in the caller's thread or as a background job.

``prepare_run`` builds (or resumes) a run: data, model, optimizer state, run folder, and a recorder
that writes ``metrics.csv`` and ``status.json``. :class:`TrainJob` runs it in a background thread
with ``start / stop / status / snapshot / join`` and no UI code, so the CLI, the Streamlit app and
the benchmarks all drive the same object.
"""
from __future__ import annotations

import os
import threading
from typing import Any

from .checkpoint import load_checkpoint, model_from_checkpoint
from .config import TrainConfig, train_config_from_dict
from .data import load_split
from .models import build_model
from .runs import RunDir, create_run, get_run
from .trainer import Trainer, resolve_device
from .errors import UserError


class RunRecorder:
    """Trainer callbacks that persist a run: metrics rows (flushed at each evaluation) and status."""

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self._rows: list[dict[str, Any]] = []

    def attach(self, trainer: Trainer) -> None:
        trainer.add_callback("on_step", lambda t, row: self._rows.append(row))
        trainer.add_callback("on_eval", self._on_eval)
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
        self.flush()
        self.run.write_status(checkpoint_step=info["step"])

    def _on_end(self, trainer: Trainer, info: dict[str, Any]) -> None:
        self.flush()
        self.run.write_status(status=info["status"], step=trainer.step, best_test_loss=trainer.best_test_loss,
                              message=info.get("message", ""))


def prepare_run(config: TrainConfig | None = None, *, runs_dir: str | os.PathLike | None = None,
                name: str | None = None, resume: str | None = None, data_dir: str | os.PathLike | None = None,
                command: list[str] | None = None, steps: int | None = None) -> tuple[Trainer, RunDir]:
    """A trainer attached to a new run folder (``config``) or to an existing one (``resume``).

    On resume the step count, optimizer state, alpha schedule and best test loss come from the
    checkpoint; ``steps`` may raise the total number of steps. Data errors are one-line UserErrors.
    """
    if resume:
        run = get_run(resume, runs_dir)
        if not run.checkpoint_path.is_file():
            raise UserError(f"run '{run.name}' has no checkpoint to resume from; start a new run instead")
        ckpt = load_checkpoint(run.checkpoint_path)
        cfg = train_config_from_dict(ckpt["train_config"])
        if steps is not None:
            cfg.steps = steps
        if config is not None and config.device != cfg.device:
            cfg.device = config.device
        cfg.validate()
        device = resolve_device(cfg.device)
        model, _ = model_from_checkpoint(ckpt, map_location=device)
        start_step = int(ckpt["step"])
        if start_step >= cfg.steps:
            raise UserError(f"run '{run.name}' already has {start_step} of {cfg.steps} steps; "
                            f"pass --steps N with N > {start_step} to train further")
        opt_state = ckpt.get("optimizer_state")
        best = (ckpt.get("extra") or {}).get("best_test_loss")
        run.truncate_metrics(start_step)
    else:
        if config is None:
            raise ValueError("prepare_run needs a config or a run to resume")
        cfg = config.validate()
        device = resolve_device(cfg.device)
        model = build_model(cfg.model, cfg.model_config, seed=cfg.seed)
        start_step, opt_state, best = 0, None, None
        run = None
    train = load_split(cfg.dataset, train=True, data_dir=data_dir)
    test = load_split(cfg.dataset, train=False, data_dir=data_dir)
    if cfg.batch_size > len(train):
        raise UserError(f"batch size {cfg.batch_size} is larger than the {len(train)} training images; "
                        f"use a batch size of at most {len(train)}")
    if run is None:
        run = create_run(cfg.to_dict(), runs_dir=runs_dir, name=name, command=command)
    trainer = Trainer(model, cfg, train, test, checkpoint_path=str(run.checkpoint_path), start_step=start_step,
                      optimizer_state=opt_state, best_test_loss=best, device=device)
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
