"""What a sweep is: a base preset, a grid of settings and a list of seeds; its folder and its state file.

Grid syntax (the ``--grid`` option, the Sweeps page's grid field)::

    alpha=0:1.0|0:0.75|0:0.75,1200:0.25 ; lr=0.001|0.003

Keys are separated by ``;`` (or spaces), values of one key by ``|``; a comma stays inside a value, so
an alpha schedule keeps its ``step:alpha,step:alpha`` form. Keys are ``train`` options (``alpha``,
``lr``, ``lr-schedule``, ``kl-weight``, ``model``, ``batch-size``, ``steps``, ``eval-every``,
``eval-limit``, ``dataset``, ``early-stop``, ``val-split``; ``-`` or ``_``). Several keys give their Cartesian product, in the order
written. Every setting runs once per seed.

A sweep lives in ``<runs dir>/.sweeps/NAME/`` (``sweep.json``, ``summary.csv``, Ray Tune's own state
in ``tune/``); its trials are ordinary run folders ``<runs dir>/NAME-KK-seedS`` whose ``config.json``
carries ``"sweep": {"name", "setting", "label", "seed"}``. The dot keeps ``list_runs`` from taking
the sweeps folder for a broken run.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sr_core.fs import ASSETS_DIR, atomic_write_text
from sr_core.config import parse_alpha_schedule
from sr_core.presets import preset_config
from sr_core.errors import UserError
from sr_core.runs.store import runs_root, sanitize_name
from sr_core.runs.status import TrialStatus
from sr_core.sweeps.check import check_size, check_state, live_status

SWEEPS_FOLDER = ".sweeps"
STUDIES_DIR = ASSETS_DIR / "studies"  # shipped studies (read-only)


def _int(text: str) -> int:
    return int(text)


def _float(text: str) -> float:
    return float(text)


def _alpha(text: str) -> list[tuple[int, float]]:
    return parse_alpha_schedule(text)


# grid key -> (TrainConfig field, parser of one value)
GRID_KEYS: dict[str, tuple[str, Any]] = {
    "alpha": ("alpha_schedule", _alpha), "lr": ("lr", _float), "lr_schedule": ("lr_schedule", str),
    "kl_weight": ("kl_weight", _float), "model": ("model", str), "batch_size": ("batch_size", _int),
    "steps": ("steps", _int), "eval_every": ("eval_every", _int), "eval_limit": ("eval_limit", _int),
    "dataset": ("dataset", str), "patch": ("patch", _int), "early_stop": ("early_stop", _int),
    "val_split": ("val_split", _int),
}


def parse_grid(text: str) -> list[tuple[str, list[str]]]:
    """``"alpha=0:1.0|0:0.5; lr=0.001|0.003"`` -> [("alpha", ["0:1.0", "0:0.5"]), ("lr", [...])].

    Values stay text (they are labels too); :func:`setting_overrides` parses them. One-line UserError
    on an unknown key, a key given twice, a missing ``=`` or an empty value.
    """
    parts = [p for p in re.split(r"[;\s]+", text.strip()) if p]
    if not parts:
        raise UserError("the grid is empty; write key=v1|v2, e.g. --grid \"lr=0.001|0.003\"")
    grid: list[tuple[str, list[str]]] = []
    for part in parts:
        key, sep, values = part.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep:
            raise UserError(f"grid entry '{part}' has no '='; write key=v1|v2, e.g. lr=0.001|0.003")
        if key not in GRID_KEYS:
            raise UserError(f"unknown grid key '{key}'; choose from: {', '.join(GRID_KEYS)}")
        if key in (k for k, _ in grid):
            raise UserError(f"grid key '{key}' is given twice; list all its values once, separated by '|'")
        vals = [v.strip() for v in values.split("|")]
        if not vals or any(not v for v in vals):
            raise UserError(f"grid entry '{part}' has an empty value; separate values by single '|'")
        if len(set(vals)) != len(vals):
            raise UserError(f"grid entry '{part}' repeats a value; list each value once")
        grid.append((key, vals))
    return grid


def setting_overrides(values: dict[str, str]) -> dict[str, Any]:
    """Grid values of one setting (text) -> ``preset_config`` keyword overrides."""
    out: dict[str, Any] = {}
    for key, text in values.items():
        field_name, parse = GRID_KEYS[key]
        try:
            out[field_name] = parse(text)
        except ValueError:
            raise UserError(f"grid value '{text}' of '{key}' cannot be read; see `sweep --help`") from None
    return out


def setting_label(values: dict[str, str]) -> str:
    """``{"alpha": "0:0.75", "lr": "0.001"}`` -> ``"alpha=0:0.75 lr=0.001"``."""
    return " ".join(f"{k}={v}" for k, v in values.items())


@dataclass
class SweepSpec:
    """A sweep: ``preset`` plus ``base`` overrides (every trial), ``grid`` (the settings), ``seeds``."""

    name: str
    preset: str
    grid: list[tuple[str, list[str]]]
    seeds: list[int]
    base: dict[str, Any] = field(default_factory=dict)   # preset_config overrides applied to every trial
    reference: int = 0                                    # index of the reference setting (paired diffs)
    eval_limit: int = 0                                   # test images scored per trial (0 = all 10,000)

    def settings(self) -> list[dict[str, str]]:
        """The grid's Cartesian product, in the order written: [{key: value text}, ...]."""
        keys = [k for k, _ in self.grid]
        return [dict(zip(keys, combo)) for combo in itertools.product(*(v for _, v in self.grid))]

    def trials(self) -> list[dict[str, Any]]:
        """One entry per (setting, seed): setting index, label, seed and run name."""
        out = []
        for k, values in enumerate(self.settings()):
            for seed in self.seeds:
                out.append({"setting": k, "label": setting_label(values), "seed": seed,
                            "run": trial_run_name(self.name, k, seed)})
        return out

    def trial_config(self, setting: int, seed: int):
        """The validated :class:`TrainConfig` of one trial (base, then the setting, then the seed)."""
        overrides = dict(self.base)
        overrides.update(setting_overrides(self.settings()[setting]))
        overrides["seed"] = seed
        return preset_config(self.preset, **overrides).validate()

    def validate(self) -> "SweepSpec":
        """Every trial's config is valid (a bad setting fails here, before Ray starts)."""
        if not self.seeds:
            raise UserError("a sweep needs at least one seed; pass --seeds N with N >= 1")
        check_size([len(v) for _, v in self.grid], len(self.seeds))  # before the product is built
        settings = self.settings()
        n = len(settings)
        if not 0 <= self.reference < n:
            raise UserError(f"reference setting {self.reference + 1} does not exist; choose 1..{n}")
        for values in settings:  # linear: each setting parsed once (the lowest and highest seed)
            for seed in {min(self.seeds), max(self.seeds)}:
                preset_config(self.preset, **{**self.base, **setting_overrides(values), "seed": seed}).validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["grid"] = [[k, list(v)] for k, v in self.grid]
        return d


def spec_from_dict(d: dict[str, Any]) -> SweepSpec:
    return SweepSpec(name=d["name"], preset=d["preset"], grid=[(k, list(v)) for k, v in d["grid"]],
                     seeds=[int(s) for s in d["seeds"]], base=dict(d.get("base") or {}),
                     reference=int(d.get("reference", 0)), eval_limit=int(d.get("eval_limit", 0)))


def trial_run_name(sweep: str, setting: int, seed: int) -> str:
    return sanitize_name(f"{sweep}-{setting:02d}-seed{seed}")


def resolve_reference(spec: SweepSpec, text: str | None) -> int:
    """``--reference``: a 1-based setting number or a setting's label (or one of its values)."""
    if text is None or text == "":
        return spec.reference
    labels = [setting_label(v) for v in spec.settings()]
    if text.isdigit() and 1 <= int(text) <= len(labels):
        return int(text) - 1
    for k, (label, values) in enumerate(zip(labels, spec.settings())):
        if text.strip() in (label, *values.values(), *(f"{a}={b}" for a, b in values.items())):
            return k
    raise UserError(f"reference '{text}' matches no setting; give 1..{len(labels)} or one of: {'; '.join(labels)}")


def sweeps_root(runs_dir: str | os.PathLike | None = None) -> Path:
    return runs_root(runs_dir) / SWEEPS_FOLDER


def sweep_dir(name: str, runs_dir: str | os.PathLike | None = None) -> Path:
    return sweeps_root(runs_dir) / sanitize_name(name)


def shipped_studies() -> dict[str, Path]:
    """Studies shipped in ``assets/studies/<name>/sweep.json`` (read-only, no runs needed)."""
    if not STUDIES_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(STUDIES_DIR.iterdir()) if (p / "sweep.json").is_file()}


def find_sweep(name: str, runs_dir: str | os.PathLike | None = None) -> Path:
    """The folder of sweep ``name``: the runs folder's own sweeps first, then the shipped studies.
    A one-line error naming the sweep and every place it was looked for when there is none."""
    mine = sweep_dir(name, runs_dir)
    if (mine / "sweep.json").exists():
        return mine
    shipped = shipped_studies()
    if name in shipped:
        return shipped[name]
    known = sorted({p.name for p in sweeps_root(runs_dir).glob("*") if p.is_dir()} | set(shipped)) \
        if sweeps_root(runs_dir).is_dir() else sorted(shipped)
    raise UserError(f"no sweep named '{name}' in {mine.parent.resolve()} or in the shipped studies "
                    f"({STUDIES_DIR}); known: {', '.join(known) or 'none'} (see `python -m sr_core sweep --list`)")


def default_sweep_name() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-sweep"


def read_state(path: Path) -> dict[str, Any]:
    """A sweep's ``sweep.json`` (``path``: the file or the sweep folder); one-line error if unreadable."""
    path = path / "sweep.json" if path.is_dir() else path
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"no sweep at {path.parent}; see `python -m sr_core sweep --list`") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise UserError(f"{path} is unreadable ({type(exc).__name__}); delete the sweep folder") from None
    return check_state(state, path)


def write_state(folder: Path, state: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    state["updated"] = time.time()
    atomic_write_text(folder / "sweep.json", json.dumps(state, indent=2, allow_nan=False))


def list_sweeps(runs_dir: str | os.PathLike | None = None, shipped: bool = True) -> list[dict[str, Any]]:
    """Every sweep under the runs folder, newest first, then (``shipped``) the studies in assets/studies:
    name, path, shipped, status ("interrupted": running but its driver died), trial counts (broken: error)."""
    root = sweeps_root(runs_dir)
    mine = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True) \
        if root.is_dir() else []
    studies = [p for n, p in shipped_studies().items() if not (root / n).is_dir()] if shipped else []
    out = []
    for path in mine + studies:
        row: dict[str, Any] = {"name": path.name, "path": str(path), "error": "", "shipped": path in studies}
        try:
            st = read_state(path)
            counts = {s: sum(t["status"] == s for t in st["trials"])
                      for s in (TrialStatus.FINISHED, TrialStatus.FAILED, TrialStatus.RUNNING)}
            row.update(status=live_status(st, path), n_trials=len(st["trials"]), **counts)
        except (UserError, KeyError, TypeError) as exc:
            row["error"] = str(exc)
        out.append(row)
    return out
