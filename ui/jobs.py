"""The process-wide training-job registry: at most one :class:`sr_core.runs.jobs.TrainJob` per server.

The Train page keeps one :class:`JobRegistry` (``ui.studio.services.job_registry``), so every tab and every
refresh of the same server sees the same job: a reload reattaches to it instead of starting another,
and two tabs pressing Start at once get one job and one "already running" message.

Threads: the job trains with :func:`default_torch_threads` intra-op threads: half the cores, at
most 4, at least 1 (``$SR_TORCH_THREADS`` overrides), i.e. 1 on a 2-core machine. There, two
threads fight the Streamlit server and each other (a thread stalls whenever its core is taken, so
training and scoring both get slower, not faster), and one leaves a core for the UI;
``bench/ui_overhead.py`` measures what the page costs the training thread. ``torch.set_num_threads`` (with
OpenMP) sets the calling thread and every thread started later, Streamlit's script threads included,
so the pages set the same count (:func:`ui.studio.widgets.page_setup`) rather than depend on who ran first.
"""
from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import Any

from sr_core.config import TrainConfig
from sr_core.errors import UserError
from sr_core.runs.jobs import TrainJob, resume_job, start_job
from sr_core.runs.status import ENDED_STATUSES, RunStatus
from sr_core.trainer import TrainSnapshot



def default_torch_threads() -> int:
    """Intra-op threads for training and inference in the server: ``$SR_TORCH_THREADS`` or cores // 2 in [1, 4]."""
    env = os.environ.get("SR_TORCH_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class JobAlreadyRunning(UserError):
    """Start was pressed while a job is running (or being set up) in this server."""


class JobRegistry:
    """Holds the current job (running or last finished) behind a lock."""

    def __init__(self, torch_threads: int | None = None) -> None:
        self.torch_threads = torch_threads or default_torch_threads()
        self._lock = threading.Lock()
        self._job: TrainJob | None = None
        self._config: TrainConfig | None = None
        self._history: tuple[list, list] = ([], [])  # a continued run's earlier train / test rows
        self._disk_key: tuple | None = None            # what _follow_disk last read from the run's files
        self._disk_rows: tuple[list, list] = ([], [])

    @property
    def job(self) -> TrainJob | None:
        return self._job

    @property
    def config(self) -> TrainConfig | None:
        return self._config

    @property
    def running(self) -> bool:
        job = self._job
        return job is not None and job.running

    def start(self, config: TrainConfig, *, name: str | None = None, runs_dir: str | os.PathLike | None = None,
              data_dir: str | os.PathLike | None = None) -> TrainJob:
        """Hand ``config`` to :func:`sr_core.runs.jobs.start_job` (which validates it and makes the run folder) and
        start training in a background thread.

        Raises :class:`JobAlreadyRunning` when a job runs or another tab is starting one, and any
        :class:`UserError` of ``start_job`` (bad setting, missing data, taken name).
        """
        if not self._lock.acquire(blocking=False):
            raise JobAlreadyRunning("a job is already being started from another tab; watch it below instead")
        try:
            if self.running:
                run = self._job.run.name if self._job and self._job.run else "?"
                raise JobAlreadyRunning(f"a job is already running (run '{run}'); stop it first or wait "
                                        f"until it finishes")
            job = start_job(config, runs_dir=runs_dir, name=name or None, data_dir=data_dir,
                            command=["streamlit", "run", "app.py"], torch_threads=self.torch_threads)
            return self._launch(job)
        finally:
            self._lock.release()

    def resume(self, run_name: str, steps: int, *, runs_dir: str | os.PathLike | None = None,
               data_dir: str | os.PathLike | None = None) -> TrainJob:
        """Continue run ``run_name`` from its checkpoint up to ``steps`` batches in total (as
        ``train --resume RUN --steps N``). Errors as :meth:`start` (e.g. ``steps`` not above the run's step)."""
        if not self._lock.acquire(blocking=False):
            raise JobAlreadyRunning("a job is already being started from another tab; watch it below instead")
        try:
            if self.running:
                raise JobAlreadyRunning("a job is already running; stop it first or wait until it finishes")
            job = resume_job(run_name, steps=int(steps), runs_dir=runs_dir, data_dir=data_dir,
                             command=["streamlit", "run", "app.py", "(continue)"], torch_threads=self.torch_threads)
            return self._launch(job)
        finally:
            self._lock.release()

    def _launch(self, job: TrainJob) -> TrainJob:
        # A continued run's curve goes on from its history (metrics.csv, already cut at the checkpoint).
        history = job.run.read_metrics() if job.trainer.step > 0 else []
        self._history = ([r for r in history if r.get("split") == "train"],
                         [r for r in history if r.get("split") == "test"])
        job.start()
        self._job, self._config = job, job.trainer.config
        return job

    def stop(self) -> bool:
        """Ask the running job to stop (it saves a checkpoint); False if nothing runs."""
        job = self._job
        if job is None or not job.running:
            return False
        job.stop()
        return True

    def snapshot(self) -> TrainSnapshot | None:
        """The current job's snapshot (see :meth:`TrainJob.snapshot`) with ``running`` set and the run's
        earlier history prepended, or None before the first job."""
        job = self._job
        if job is None:
            return None
        snap = job.snapshot()
        if snap.error and snap.status != RunStatus.FAILED:
            snap = replace(snap, status=RunStatus.FAILED)
        # The trainer reports its final status a moment before its thread ends (it still flushes files):
        # a final status means the run is over, so no page shows "finished" next to a Stop button.
        snap = replace(snap, running=job.running and snap.status not in ENDED_STATUSES)
        if self._history[0] or self._history[1]:
            snap = replace(snap, train=self._history[0] + snap.train, test=self._history[1] + snap.test)
        if not snap.running and job.run is not None:
            snap = self._follow_disk(snap, job.run)
        return snap

    def _follow_disk(self, snap: TrainSnapshot, run: Any) -> TrainSnapshot:
        """After this server's job ended, the run may go on elsewhere (``train --resume`` from the CLI,
        another server): when its status file says another step or status, the snapshot shows the run
        as it is on disk — status, step and curves from its files — not what this server last saw."""
        try:
            disk = run.status()
        except Exception:  # unreadable status: keep what we have (the Runs page reports the file)
            return snap
        if disk.get("step") == snap.step and disk.get("status") == snap.status:
            return snap
        try:  # the file's version: a rewrite changes its mtime or size (a coarse clock may keep one)
            st = run.metrics_path.stat()
            version = (st.st_mtime_ns, st.st_size)
        except OSError:
            version = (0, 0)
        key = (disk.get("step"), disk.get("status"), version)
        if self._disk_key != key:
            rows = run.read_metrics()
            self._disk_rows = ([r for r in rows if r.get("split") == "train"],
                               [r for r in rows if r.get("split") == "test"])
            self._disk_key = key
        writer = run.writer_pid()
        return replace(snap, status=disk.get("status") or snap.status, step=int(disk.get("step") or 0),
                       total_steps=disk.get("total_steps") or snap.total_steps, train=self._disk_rows[0],
                       test=self._disk_rows[1], running=False, preview=None, eta_s=None, avg_img_s=None,
                       img_s=None, total_s=None,  # this server's timing is not the other writer's
                       best_test_loss=disk.get("best_test_loss", snap.best_test_loss),
                       notice=f"run '{run.name}' was changed on disk by another writer"
                              f"{f' (pid {writer}, still writing)' if writer else ''} since this page started it; "
                              f"shown as its files are now")

    def is_training(self, run_name: str) -> bool:
        """True while the running job writes into run ``run_name`` (the Runs page must not delete it)."""
        job = self._job
        return job is not None and job.running and job.run is not None and job.run.name == run_name

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop and wait for the current job (tests, server shutdown)."""
        job = self._job
        if job is not None and job.running:
            job.stop()
            job.join(timeout)
