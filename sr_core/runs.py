"""Run folders: one per training run, under ``runs/`` (or ``--runs-dir``, or ``$SR_RUNS_DIR``).

A run folder holds
- ``config.json``: every setting, the command line, package versions, seed (written at creation),
- ``metrics.csv``: one row per train step and per test evaluation,
- ``checkpoint.pt``: the latest checkpoint (see :mod:`sr_core.checkpoint`),
- ``status.json``: status, step, best test loss (rewritten atomically as the run goes),
- ``eval.json``: the last ``eval`` result, when one was run.
"""
from __future__ import annotations

import csv
import json
import os
import platform
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checkpoint import atomic_write_text
from .errors import UserError

#: metrics.csv columns: every registered model's ``loss_names`` fit in (tests check it; a model
#: leaves the others empty), then ``latent_psnr`` (test rows of models with a latent image:
#: PSNR of the encoder's mean latent vs the LR image, see :func:`sr_core.latent.latent_lr_psnr`).
METRIC_FIELDS = ("step", "split", "total", "recon", "latent", "kl", "cls", "latent_psnr", "alpha", "lr",
                 "elapsed_s", "img_s")
_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def runs_root(runs_dir: str | os.PathLike | None = None) -> Path:
    """The runs folder: ``runs_dir`` if given, else ``$SR_RUNS_DIR``, else ``./runs``."""
    if runs_dir:
        return Path(runs_dir)
    env = os.environ.get("SR_RUNS_DIR")
    return Path(env) if env else Path("runs")


def sanitize_name(name: str) -> str:
    """A safe folder name: letters, digits, ``.-_`` only, no leading dot, at most 64 characters.

    Path separators and ``..`` can never survive, so a run name cannot escape the runs folder.
    """
    clean = _NAME_RE.sub("-", name.strip()).strip("-.")
    clean = clean[:64].strip("-.")
    if not clean:
        raise UserError(f"run name '{name}' has no usable characters; use letters, digits, '-', '_' or '.'")
    return clean


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that decide the numbers."""
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("torch", "torchvision", "numpy", "torchmetrics"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@dataclass
class RunDir:
    """Paths and small helpers of one run folder."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def checkpoint_path(self) -> Path:
        return self.path / "checkpoint.pt"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def eval_path(self) -> Path:
        return self.path / "eval.json"

    def read_json(self, path: Path) -> dict[str, Any]:
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise UserError(f"{path} is unreadable ({type(exc).__name__}); delete the run or fix the file") from exc

    def config(self) -> dict[str, Any]:
        return self.read_json(self.config_path)

    def status(self) -> dict[str, Any]:
        return self.read_json(self.status_path)

    def write_status(self, **values: Any) -> None:
        current = {}
        try:
            current = self.status()
        except UserError:
            pass
        current.update(values, updated=time.time())
        atomic_write_text(self.status_path, json.dumps(current, indent=2))

    def append_metrics(self, rows: list[dict[str, Any]]) -> None:
        """Append rows (dicts keyed by :data:`METRIC_FIELDS`) to metrics.csv, writing the header once."""
        if not rows:
            return
        new = not self.metrics_path.exists()
        with open(self.metrics_path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=METRIC_FIELDS, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerows(rows)

    def read_metrics(self) -> list[dict[str, Any]]:
        """metrics.csv as a list of dicts with numbers parsed (empty cells -> None)."""
        if not self.metrics_path.exists():
            return []
        out = []
        with open(self.metrics_path, newline="") as f:
            for row in csv.DictReader(f):
                parsed: dict[str, Any] = {}
                for k, v in row.items():
                    if k == "split":
                        parsed[k] = v
                    elif v in (None, ""):
                        parsed[k] = None
                    else:
                        parsed[k] = int(v) if k == "step" else float(v)
                out.append(parsed)
        return out

    def truncate_metrics(self, step: int) -> None:
        """Drop rows after ``step`` (a resumed run rewrites what the stopped run logged past its checkpoint)."""
        rows = [r for r in self.read_metrics() if r["step"] <= step]
        if self.metrics_path.exists():
            self.metrics_path.unlink()
        self.append_metrics(rows)


def create_run(config: dict[str, Any], *, runs_dir: str | os.PathLike | None = None, name: str | None = None,
               command: list[str] | None = None) -> RunDir:
    """Make a new run folder and write its config.json. An explicit name that exists is an error."""
    root = runs_root(runs_dir)
    root.mkdir(parents=True, exist_ok=True)
    if name:
        clean = sanitize_name(name)
        path = root / clean
        try:
            path.mkdir()
        except FileExistsError:
            raise UserError(f"a run named '{clean}' already exists in {root}; pick another --name or "
                            f"continue it with --resume {clean}") from None
    else:
        stem = sanitize_name(f"{time.strftime('%Y%m%d-%H%M%S')}-{config.get('model', 'run')}")
        for i in range(1000):  # never overwrite: add a counter on collision
            path = root / (stem if i == 0 else f"{stem}-{i}")
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
    run = RunDir(path)
    meta = {"train": config, "seed": config.get("seed"), "command": command or sys.argv,
            "versions": package_versions(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    atomic_write_text(run.config_path, json.dumps(meta, indent=2))
    run.write_status(status="created", step=0, total_steps=config.get("steps"))
    return run


def get_run(name: str, runs_dir: str | os.PathLike | None = None) -> RunDir:
    """The existing run called ``name`` (sanitized first); a one-line error if there is none."""
    root = runs_root(runs_dir)
    clean = sanitize_name(name)
    path = root / clean
    if clean != name or not path.is_dir():
        raise UserError(f"no run named '{name}' in {root}; see `python -m sr_core list`")
    return RunDir(path)


def list_runs(runs_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """One summary dict per run folder, newest first. A broken run gets an ``error`` entry, not an exception."""
    root = runs_root(runs_dir)
    if not root.is_dir():
        return []
    rows = []
    for path in sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                       key=lambda p: p.stat().st_mtime, reverse=True):
        run = RunDir(path)
        row: dict[str, Any] = {"name": run.name, "path": str(path), "error": ""}
        try:
            cfg = run.config().get("train", {})
            st = run.status()
            ev = run.read_json(run.eval_path)
            row.update(model=cfg.get("model", "?"), preset=cfg.get("preset", ""),
                       step=st.get("step", 0), total_steps=cfg.get("steps"), status=st.get("status", "unknown"),
                       best_test_loss=st.get("best_test_loss"),
                       psnr=(ev.get("model") or {}).get("psnr"),
                       has_checkpoint=run.checkpoint_path.is_file())
            if not cfg:
                row["error"] = "config.json is missing: not a run folder written by sr_core"
        except UserError as exc:
            row["error"] = str(exc)
        rows.append(row)
    return rows


def delete_run(name: str, runs_dir: str | os.PathLike | None = None) -> None:
    """Delete run ``name`` and everything in its folder."""
    run = get_run(name, runs_dir)
    shutil.rmtree(run.path)


def resolve_checkpoint(run_or_path: str, runs_dir: str | os.PathLike | None = None) -> Path:
    """A run name or a checkpoint path -> the checkpoint file's path (one-line error if neither)."""
    p = Path(run_or_path)
    if p.is_file():
        return p
    if p.is_dir() and (p / "checkpoint.pt").is_file():
        return p / "checkpoint.pt"
    try:
        run = get_run(run_or_path, runs_dir)
    except UserError:
        raise UserError(f"'{run_or_path}' is neither a checkpoint file nor a run in {runs_root(runs_dir)}; "
                        f"see `python -m sr_core list`") from None
    if not run.checkpoint_path.is_file():
        raise UserError(f"run '{run.name}' has no checkpoint yet; train it (or resume it) first")
    return run.checkpoint_path
