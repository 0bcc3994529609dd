"""Named states of runs, sweeps and sweep trials.

``StrEnum`` members are the very strings written to ``status.json`` and ``sweep.json`` (files on disk
are unchanged, old files read back) and compare equal to them, so ``status == RunStatus.FINISHED``
holds for a string read from a file as for a member.
"""
from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """A training run's ``status.json`` status (and the trainer's / job's)."""

    CREATED = "created"          # run folder made, nothing trained yet
    READY = "ready"              # trainer built, about to run
    RUNNING = "running"
    FINISHED = "finished"        # all batches done, final checkpoint saved
    STOPPED = "stopped"          # stop requested; checkpoint saved (resumable)
    NAN = "nan"                  # the loss became non-finite; the last good checkpoint kept
    FAILED = "failed"            # an exception
    INTERRUPTED = "interrupted"  # shown, never written: a live status whose writer is gone


#: Written while a writer is alive; without the lock's holder they mean ``INTERRUPTED``.
LIVE_STATUSES: tuple[RunStatus, ...] = (RunStatus.CREATED, RunStatus.READY, RunStatus.RUNNING)
#: The run is over (a job whose trainer reports one of these is not running any more).
ENDED_STATUSES: tuple[RunStatus, ...] = (RunStatus.FINISHED, RunStatus.STOPPED, RunStatus.NAN, RunStatus.FAILED)
#: Ended with a checkpoint that a resume continues from.
RESUMABLE_STATUSES: tuple[RunStatus, ...] = (RunStatus.FINISHED, RunStatus.STOPPED)


class TrialStatus(StrEnum):
    """One sweep trial's status in ``sweep.json``."""

    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class SweepStatus(StrEnum):
    """A sweep's own status in ``sweep.json``."""

    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"    # trials left (resume continues them)
    FINISHED = "finished"
