"""Running a sweep on Ray Tune: one Tune trial per (setting, seed), embedded Ray or a cluster.

Embedded (default): ``ray.init(num_cpus=workers * cpus_per_trial)`` inside the command, usage stats
off, no dashboard, worker logs not forwarded. ``address`` (or ``$RAY_ADDRESS``) joins an existing
cluster instead (``ray start --head`` on one machine, ``ray start --address HEAD:6379`` on the others);
every node then needs this project and the data at the same paths. Each trial asks Tune for
``cpus_per_trial`` CPUs (and ``gpus_per_trial`` GPUs) and trains with that many torch threads, so
what scales is the number of trials running at once, not one run.

The driver keeps ``sweep.json`` current (atomic rewrites) from Tune callbacks: a trial is
``pending`` -> ``running`` -> ``finished`` | ``failed`` (with its error); ``summary.csv`` and the
summary inside ``sweep.json`` are recomputed after every trial. Resume runs a new Tune experiment over
the trials that did not finish; the run folders, not Tune's state, are the record
(:func:`sr_core.sweeps.trial.run_trial` is idempotent).
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

from sr_core.data import resolve_data_dir
from sr_core.errors import UserError
from sr_core.fs import PROJECT_ROOT
from sr_core.runs.lock import RunLock
from sr_core.runs.status import SweepStatus, TrialStatus
from sr_core.runs.store import runs_root
from sr_core.sweeps.check import check_launch
from sr_core.sweeps.spec import SweepSpec, read_state, setting_label, spec_from_dict, sweep_dir, write_state
from sr_core.sweeps.stats import PROTOCOL_NOTE, summarize, write_summary_csv
from sr_core.sweeps.trial import run_trial

Progress = Callable[[dict[str, Any]], None]


def new_state(spec: SweepSpec, runs_dir: str | None) -> dict[str, Any]:
    """A fresh ``sweep.json`` for ``spec``: every trial pending."""
    trials = [dict(t, status=TrialStatus.PENDING, error="", metrics=None) for t in spec.trials()]
    return {"format": 1, "spec": spec.to_dict(), "runs_dir": str(runs_dir or ""), "status": SweepStatus.CREATED,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "protocol": PROTOCOL_NOTE,
            "labels": [setting_label(s) for s in spec.settings()], "trials": trials, "summary": []}


def create_sweep(spec: SweepSpec, runs_dir: str | os.PathLike | None = None) -> Path:
    """Validate ``spec`` and write it as the new sweep's ``sweep.json`` (every trial pending, status
    ``created``), ready for ``python -m sr_core sweep --resume NAME``; returns the sweep folder.
    The Sweeps page starts a sweep this way: the spec crosses to the sweep process as the file it is
    persisted as, not as command-line strings."""
    spec.validate()
    runs_abs = str(runs_root(runs_dir).resolve())
    folder = sweep_dir(spec.name, runs_abs)
    if (folder / "sweep.json").exists():
        raise UserError(f"a sweep named '{spec.name}' already exists; continue it with `sweep --resume "
                        f"{spec.name}` or pick another name")
    state = new_state(spec, runs_abs)
    refresh_summary(folder, state)
    return folder


def refresh_summary(folder: Path, state: dict[str, Any]) -> None:
    """Recompute the summary from the trials; write ``sweep.json`` and ``summary.csv`` (atomically)."""
    spec = spec_from_dict(state["spec"])
    state["summary"] = summarize(state["trials"], state["labels"], spec.reference)
    write_state(folder, state)
    write_summary_csv(folder / "summary.csv", state["summary"])


def _init_ray(address: str | None, num_cpus: int, num_gpus: int | None) -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ["RAY_CHDIR_TO_TRIAL_DIR"] = "0"  # paths are absolute anyway; keep workers in the driver's cwd
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # no TensorBoard/CSV loggers per trial
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no experiment banner over our tqdm bar
    # Ray renices its workers by +15 by default; on a shared machine that starves the trials behind every
    # other process (measured: 10 % of a core each). Trials run at the sweep command's own priority.
    os.environ.setdefault("RAY_worker_niceness", "0")
    import ray  # local: heavy: Ray only once a sweep runs

    if ray.is_initialized():
        return
    root = str(PROJECT_ROOT)
    kw: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, configure_logging=True,
                              logging_level=logging.ERROR,
                              runtime_env={"env_vars": {"PYTHONPATH": root, "RAY_CHDIR_TO_TRIAL_DIR": "0"}})
    if address:
        ray.init(address=address, **kw)
    else:
        ray.init(num_cpus=num_cpus, num_gpus=num_gpus, **kw)


def _callback(folder: Path, state: dict[str, Any], index: dict[tuple[int, int], dict[str, Any]],
              progress: Progress | None):
    from ray import tune  # local: heavy: Ray only once a sweep runs

    def entry(trial) -> dict[str, Any]:
        setting, seed = (int(x) for x in trial.config["trial"].split(":"))
        return index[(setting, seed)]

    def report() -> None:
        if progress is not None:
            progress(state)

    class Recorder(tune.Callback):
        """Tune events -> trial statuses in ``sweep.json``."""

        def on_trial_start(self, iteration, trials, trial, **info):
            entry(trial).update(status=TrialStatus.RUNNING, started=time.time())
            write_state(folder, state)
            report()

        def on_trial_complete(self, iteration, trials, trial, **info):
            res = trial.last_result or {}
            e = entry(trial)
            e.update(status=res.get("status", TrialStatus.FAILED), error=res.get("error", ""), metrics=res.get("metrics"),
                     train_s=res.get("train_s"), eval_s=res.get("eval_s"), ended=time.time())
            refresh_summary(folder, state)
            report()

        def on_trial_error(self, iteration, trials, trial, **info):
            # The trial function never raises; this is a worker crash (killed process, out of memory).
            err = "the trial's worker crashed"
            try:
                lines = [ln for ln in Path(trial.error_file).read_text().splitlines() if ln.strip()]
                err = lines[-1].strip() if lines else err
            except (OSError, TypeError):
                pass
            entry(trial).update(status=TrialStatus.FAILED, error=err[:400], ended=time.time())
            refresh_summary(folder, state)
            report()

    return Recorder()


def run_sweep(spec: SweepSpec | None = None, *, runs_dir: str | os.PathLike | None = None,
              data_dir: str | os.PathLike | None = None, resume: str | None = None, workers: int | None = None,
              cpus_per_trial: float = 1, gpus_per_trial: float = 0, address: str | None = None,
              progress: Progress | None = None) -> dict[str, Any]:
    """Run ``spec`` (new sweep) or continue sweep ``resume``; returns the final ``sweep.json`` state.

    ``workers``: trials at once (default: the machine's cores // ``cpus_per_trial``; on a cluster,
    as many as its resources allow). ``progress(state)`` is called after every trial event.
    """
    address = address or os.environ.get("RAY_ADDRESS") or None
    check_launch(spec, runs_dir=runs_dir, gpus_per_trial=gpus_per_trial, cpus_per_trial=cpus_per_trial,
                 address=None if resume else address)  # a new sweep: everything before any file is written
    runs_abs = str(runs_root(runs_dir).resolve())
    if resume:
        folder = sweep_dir(resume, runs_abs)
        state = read_state(folder)
        spec = spec_from_dict(state["spec"])
        check_launch(spec, runs_dir=runs_dir, gpus_per_trial=gpus_per_trial, cpus_per_trial=cpus_per_trial,
                     address=address)
        for t in state["trials"]:
            if t["status"] != TrialStatus.FINISHED:
                t.update(status=TrialStatus.PENDING, error="")
    else:
        if spec is None:
            raise ValueError("run_sweep needs a spec or a sweep to resume")
        spec.validate()
        folder = sweep_dir(spec.name, runs_abs)
        if (folder / "sweep.json").exists():
            raise UserError(f"a sweep named '{spec.name}' already exists; continue it with `sweep --resume "
                            f"{spec.name}` or pick another --name")
        state = new_state(spec, runs_abs)
    data_abs = str(resolve_data_dir(data_dir).resolve())
    folder.mkdir(parents=True, exist_ok=True)
    lock = RunLock(folder, action="run the sweep")  # held while running: a killed driver reads "interrupted"
    try:
        _drive(spec, folder, state, progress, runs_abs, data_abs, workers, cpus_per_trial, gpus_per_trial,
               address)
    finally:
        lock.release()
    return state


def _drive(spec, folder, state, progress, runs_abs, data_abs, workers, cpus_per_trial, gpus_per_trial,
           address) -> None:
    """Mark the sweep running, run the trials left, then finished/stopped (stopped on any exception too)."""
    index = {(t["setting"], t["seed"]): t for t in state["trials"]}
    # Seed-major order: a sweep stopped half-way has every setting at (nearly) the same number of seeds.
    todo = sorted((t for t in state["trials"] if t["status"] != TrialStatus.FINISHED), key=lambda t: (t["seed"], t["setting"]))
    state.update(status=SweepStatus.RUNNING, workers=workers, address=address or "")
    refresh_summary(folder, state)
    if progress is not None:
        progress(state)
    try:
        if todo:
            _fit(spec, todo, folder, state, index, progress, runs_abs, data_abs, workers, cpus_per_trial,
                 gpus_per_trial, address)
    finally:
        left = [t for t in state["trials"] if t["status"] in (TrialStatus.PENDING, TrialStatus.RUNNING)]
        for t in left:  # Tune stopped before they ended (interrupt, error): they are resumable
            t["status"] = TrialStatus.PENDING
        state["status"] = SweepStatus.STOPPED if left else SweepStatus.FINISHED
        refresh_summary(folder, state)


def _fit(spec, todo, folder, state, index, progress, runs_abs, data_abs, workers, cpus_per_trial,
         gpus_per_trial, address) -> None:
    from ray import tune  # local: heavy: Ray only once a sweep runs

    threads = max(1, int(cpus_per_trial))
    if workers is None and not address:
        workers = max(1, int((os.cpu_count() or 1) // max(cpus_per_trial, 1)))
    _init_ray(address, num_cpus=int(max(1, (workers or 1) * cpus_per_trial)),
              num_gpus=int(gpus_per_trial * (workers or 1)) if gpus_per_trial else None)
    base = {"spec": spec.to_dict(), "runs_dir": runs_abs, "data_dir": data_abs, "threads": threads}
    resources = {"cpu": cpus_per_trial, **({"gpu": gpus_per_trial} if gpus_per_trial else {})}
    tuner = tune.Tuner(
        tune.with_resources(_tune_trial, resources),
        # One grid axis over the (setting, seed) pairs left to do, as "setting:seed"; Tune keeps this order.
        param_space={**base, "trial": tune.grid_search([f"{t['setting']}:{t['seed']}" for t in todo])},
        tune_config=tune.TuneConfig(max_concurrent_trials=workers, reuse_actors=True,
                                    trial_dirname_creator=lambda trial: f"trial-{trial.trial_id}"),
        run_config=tune.RunConfig(name="tune", storage_path=str(folder), verbose=0,
                                  callbacks=[_callback(folder, state, index, progress)],
                                  failure_config=tune.FailureConfig(max_failures=0, fail_fast=False)),
    )
    tuner.fit()


def _tune_trial(config: dict[str, Any]) -> dict[str, Any]:
    """The Tune trainable: ``config["trial"]`` = "setting:seed" -> :func:`run_trial`."""
    setting, seed = (int(x) for x in config["trial"].split(":"))
    return run_trial({**config, "setting": setting, "seed": seed})
