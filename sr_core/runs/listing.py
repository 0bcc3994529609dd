"""The table of runs: every run folder's summary, its health, and whether its writer is alive.

Used by the CLI's ``list``, Home, Runs and the checkpoint pickers, so each shows the same statuses:
a broken run (malformed JSON, a checkpoint that does not load) is a row with an ``error``, never an
exception; a run whose status says a writer is busy while nobody holds its lock is "interrupted".
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sr_core.runs.ckpt_scan import scan_problem
from sr_core.errors import UserError
from sr_core.runs.store import RunDir, runs_root
from sr_core.runs.status import LIVE_STATUSES, RunStatus
from sr_core.runs.trained_on import data_fields


def resume_hint(name: str) -> str:
    return f"python -m sr_core train --resume {name}"


def _summary(run: RunDir, check: bool) -> dict[str, Any]:
    """One run's row for :func:`list_runs` (raises UserError for a broken run)."""
    cfg = run.config().get("train", {})
    st = run.status()
    ev = run.read_json(run.eval_path)
    model_ev = ev.get("model")
    psnr = model_ev.get("psnr") if isinstance(model_ev, dict) else None
    row: dict[str, Any] = dict(
        model=str(cfg.get("model", "?")), preset=str(cfg.get("preset") or ""), step=st.get("step") or 0,
        total_steps=st.get("total_steps") or cfg.get("steps"), status=st.get("status") or "unknown",
        best_test_loss=st.get("best_test_loss"),
        psnr=psnr if isinstance(psnr, (int, float)) and not isinstance(psnr, bool) else None,
        has_checkpoint=run.checkpoint_path.is_file(), note="", writer_pid=None, **data_fields(cfg))
    if not cfg:
        raise UserError("config.json is missing: not a run folder written by sr_core")
    if row["status"] in LIVE_STATUSES:
        pid = run.writer_pid()
        if pid is None:  # the status says a writer is busy, but nobody holds the lock: it died
            at = st.get("checkpoint_step")
            row["status"] = RunStatus.INTERRUPTED
            at = at if at is not None and row["has_checkpoint"] else 0
            row["note"] = f"interrupted at step {at} — resume with `{resume_hint(run.name)}`"
        else:
            row["writer_pid"] = pid
    if row["has_checkpoint"]:  # empty, garbage, unsafe pickle, NaN weights: found without torch (fast)
        problem = scan_problem(run.checkpoint_path)
        if problem:
            raise UserError(problem)
    if check and row["has_checkpoint"]:
        problem = checkpoint_problem(run.checkpoint_path)
        if problem:
            raise UserError(problem)
    return row


def list_runs(runs_dir: str | os.PathLike | None = None, *, check: bool = False) -> list[dict[str, Any]]:
    """One summary dict per run folder, newest first. A broken run gets an ``error`` entry, not an exception.

    Rows: name, path, error ('' if usable), model, dataset and patch (what it trains on), preset, step,
    total_steps, status ("interrupted" when the status says running but its writer died), note (how to
    resume it), best_test_loss, psnr, has_checkpoint, writer_pid. A checkpoint that is empty, garbage, an
    unsafe pickle or holds NaN/inf is always a broken row (:func:`sr_core.runs.ckpt_scan.scan_problem`, no
    torch). ``check``: also load every checkpoint (cached per file version) and mark runs whose checkpoint
    is otherwise unusable as broken.
    """
    root = runs_root(runs_dir)
    if root.exists() and not root.is_dir():
        raise UserError(f"runs folder {root} is a file, not a folder; pass --runs-dir (or SR_RUNS_DIR) "
                        f"naming a folder")
    if not root.is_dir():
        return []
    entries = []
    for p in root.iterdir():
        try:
            if p.is_dir() and not p.name.startswith("."):
                entries.append((p.stat().st_mtime, p))
        except OSError:  # deleted meanwhile, or a dangling link
            continue
    rows = []
    for _, path in sorted(entries, key=lambda e: e[0], reverse=True):
        run = RunDir(path)
        row: dict[str, Any] = {"name": run.name, "path": str(path), "error": ""}
        try:
            row.update(_summary(run, check))
        except UserError as exc:
            row["error"] = str(exc)
        except OSError as exc:
            row["error"] = f"unreadable ({exc.strerror}); delete the run or fix its files"
        rows.append(row)
    return rows


_CHECKED: dict[tuple[str, int, int], str] = {}


def checkpoint_problem(path: Path) -> str:
    """'' when the checkpoint at ``path`` loads and is usable, else its one-line error (cached per version)."""
    from sr_core.checkpoint import model_from_checkpoint  # local: torch-free listing (torch only for the deep check)

    try:
        stat = path.stat()
    except OSError:
        return ""  # replaced or deleted meanwhile: the next listing sees it
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CHECKED:
        if len(_CHECKED) > 256:
            _CHECKED.clear()
        try:
            model_from_checkpoint(path)
            _CHECKED[key] = ""
        except UserError as exc:
            _CHECKED[key] = str(exc)
    return _CHECKED[key]
