"""Sweeps bounded like runs: ``sweep.json`` validated on read, sizes capped, resources checked before Ray.

* :func:`check_state` — a ``sweep.json`` of the wrong shape (``[]``, ``"status": null``, a dict where a
  list belongs) is one :class:`UserError` naming the file and the problem; listings show it as one row.
* :func:`check_size` — at most :data:`MAX_SEEDS` seeds, :data:`MAX_SETTINGS` settings and
  :data:`MAX_TRIALS` trials, computed from the grid's value counts (nothing is materialised first).
* :func:`check_launch` — seeds inside the seed range, the device, GPUs per trial, the runs folder and a
  cluster address that answers (a short TCP connect, seconds, instead of Ray's minutes), all before
  ``ray.init``.
* A running sweep's driver holds :class:`sr_core.runs.lock.RunLock` on the sweep folder; a "running"
  sweep whose lock nobody holds was interrupted (the same rule as runs, :func:`live_status`).
"""
from __future__ import annotations

import math
import os
import socket
from pathlib import Path
from typing import Any

from sr_core.config import MAX_SEED
from sr_core.errors import UserError
from sr_core.runs.lock import lock_holder
from sr_core.runs.status import RunStatus, SweepStatus, TrialStatus
from sr_core.runs.store import runs_root

MAX_SEEDS = 100        # seeds per setting
MAX_SETTINGS = 256     # settings in one grid
MAX_TRIALS = 1000      # settings x seeds
CONNECT_TIMEOUT_S = 3.0
TRIAL_STATUSES = tuple(TrialStatus)


def check_size(value_counts: list[int], n_seeds: int) -> None:
    """One-line error when the grid or the seeds are above the caps (linear in the number of keys)."""
    if n_seeds > MAX_SEEDS:
        raise UserError(f"--seeds {n_seeds} is above the limit of {MAX_SEEDS} seeds per setting; use fewer")
    n = math.prod(value_counts) if value_counts else 1
    if n > MAX_SETTINGS:
        raise UserError(f"the grid has {' × '.join(map(str, value_counts))} = {n} settings, above the limit of "
                        f"{MAX_SETTINGS}; split it into smaller sweeps")
    if n * n_seeds > MAX_TRIALS:
        raise UserError(f"{n} settings × {n_seeds} seeds = {n * n_seeds} trials, above the limit of {MAX_TRIALS}; "
                        f"use fewer settings or seeds")


def _is(v: Any, kind: type) -> bool:
    return isinstance(v, kind) and not isinstance(v, bool)


def check_state(state: Any, path: Path) -> dict[str, Any]:
    """``state`` (a parsed ``sweep.json``) of the shape the code reads, else one-line UserError naming ``path``."""
    def bad(what: str) -> UserError:
        return UserError(f"{path}: {what}; the file is damaged — delete the sweep folder or restore the file")

    if not isinstance(state, dict):
        raise bad(f"holds a {type(state).__name__}, not an object")
    spec = state.get("spec")
    if not isinstance(spec, dict):
        raise bad("'spec' is missing or not an object")
    if not _is(spec.get("name"), str) or not _is(spec.get("preset"), str):
        raise bad("'spec' needs a text 'name' and 'preset'")
    grid = spec.get("grid")
    if not isinstance(grid, list) or not all(
            isinstance(g, list) and len(g) == 2 and _is(g[0], str) and isinstance(g[1], list)
            and g[1] and all(_is(v, str) for v in g[1]) for g in grid):
        raise bad("'spec.grid' is not a list of [key, [values]]")
    seeds = spec.get("seeds")
    if not isinstance(seeds, list) or not seeds or not all(_is(s, int) for s in seeds):
        raise bad("'spec.seeds' is not a non-empty list of whole numbers")
    if not isinstance(spec.get("base", {}), dict):
        raise bad("'spec.base' is not an object")
    if not all(_is(spec.get(k, 0), int) for k in ("reference", "eval_limit")):
        raise bad("'spec.reference' / 'spec.eval_limit' is not a whole number")
    try:
        check_size([len(g[1]) for g in grid], len(seeds))
    except UserError as exc:
        raise bad(str(exc).split(";")[0]) from None
    if not _is(state.get("status", "?"), str):
        raise bad(f"'status' is {state.get('status')!r}, not a text")
    labels = state.get("labels")
    if not isinstance(labels, list) or not all(_is(x, str) for x in labels):
        raise bad("'labels' is not a list of texts")
    trials = state.get("trials")
    if not isinstance(trials, list):
        raise bad("'trials' is not a list")
    for i, t in enumerate(trials):
        if not (isinstance(t, dict) and _is(t.get("setting"), int) and _is(t.get("seed"), int)
                and 0 <= t["setting"] < max(len(labels), 1) and t.get("status") in TRIAL_STATUSES
                and _is(t.get("run"), str) and _is(t.get("label", ""), str) and _is(t.get("error", ""), str)
                and (t.get("metrics") is None or _metrics_ok(t.get("metrics")))):
            raise bad(f"trial {i} is malformed (needs setting, seed, run, a status among "
                      f"{'/'.join(TRIAL_STATUSES)})")
    summary = state.get("summary", [])
    if not isinstance(summary, list) or not all(_row_ok(r) for r in summary):
        raise bad("'summary' is not a list of setting rows (setting, label, reference, counts, metrics)")
    return state


def _num_or_none(v: Any) -> bool:
    return v is None or _is(v, (int, float))  # type: ignore[arg-type]


def _metrics_ok(m: Any) -> bool:
    """A trial's metrics: {name: number or null}."""
    return isinstance(m, dict) and all(_num_or_none(v) for v in m.values())


def _row_ok(r: Any) -> bool:
    """One summary row as :func:`sr_core.sweeps.stats.summarize` writes it."""
    if not (isinstance(r, dict) and _is(r.get("setting"), int) and _is(r.get("label"), str)
            and isinstance(r.get("reference"), bool) and _is(r.get("n_finished"), int)
            and _is(r.get("n_failed"), int) and isinstance(r.get("metrics"), dict)):
        return False
    for e in r["metrics"].values():
        if not isinstance(e, dict) or not all(_num_or_none(v) for k, v in e.items() if k not in ("per_seed", "paired")):
            return False
        if not _metrics_ok(e.get("per_seed", {})) or not _metrics_ok(e.get("paired") or {}):
            return False
    return True


def live_status(state: dict[str, Any], folder: Path) -> str:
    """The sweep's status, "interrupted" when it says "running" but no driver holds its lock (killed)."""
    status = state.get("status", "?")
    if status == SweepStatus.RUNNING and lock_holder(folder) is None:
        return RunStatus.INTERRUPTED
    return status


def _address_target(address: str) -> tuple[str, int] | None:
    """(host, port) to probe for a Ray address, or None for addresses Ray resolves itself ("auto", "local")."""
    text = address.strip()
    if text in ("auto", "local", ""):
        return None
    for prefix in ("ray://", "http://", "https://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UserError(f"--address '{address}' is not HOST:PORT (e.g. 10.0.0.5:6379 or ray://10.0.0.5:10001)")
    return host.strip("[]"), int(port)


def check_address(address: str | None, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """A short TCP connect to the cluster's address: one-line error within ``timeout`` s when nothing answers."""
    target = _address_target(address) if address else None
    if target is None:
        return
    try:
        socket.create_connection(target, timeout=timeout).close()
    except OSError as exc:
        raise UserError(f"no Ray cluster answers at {address} ({exc.strerror or type(exc).__name__}, "
                        f"{timeout:g} s); start it with `ray start --head` or drop --address") from None


def check_launch(spec: Any, *, runs_dir: str | os.PathLike | None, gpus_per_trial: float, cpus_per_trial: float,
                 address: str | None) -> None:
    """Everything a sweep needs that Ray would only find inside the trials, checked up front (one line each)."""
    root = runs_root(runs_dir)
    if root.exists() and not root.is_dir():
        raise UserError(f"runs folder {root} is a file, not a folder; pass --runs-dir naming a folder")
    if spec is not None:
        lo, hi = min(spec.seeds), max(spec.seeds)
        if lo < 0 or hi > MAX_SEED:
            raise UserError(f"seeds {lo}..{hi} leave the range 0..{MAX_SEED}; lower --seed or --seeds")
        device = str(spec.base.get("device") or "auto")
        if device != "auto" and not address:
            from sr_core.device import resolve_device  # local: torch-free sweep --list/--show
            resolve_device(device)
    if not (math.isfinite(gpus_per_trial) and gpus_per_trial >= 0):
        raise UserError(f"--gpus-per-trial must be 0 or positive (got {gpus_per_trial}); use 0 on a CPU machine")
    if not (math.isfinite(cpus_per_trial) and cpus_per_trial > 0):
        raise UserError(f"--cpus-per-trial must be positive (got {cpus_per_trial})")
    if gpus_per_trial > 0 and not address:
        from sr_core.device import cuda_available  # local: torch-free sweep --list/--show
        if not cuda_available():
            raise UserError(f"--gpus-per-trial {gpus_per_trial:g} but this machine has no CUDA GPU; use 0 "
                            f"(or --address a cluster with GPUs)")
    check_address(address)
