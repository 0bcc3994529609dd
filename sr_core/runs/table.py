"""The run table: one row per training run folder (newest first), then one per shipped checkpoint.

Home, the Runs page and ``python -m sr_core list`` all show this table; each formats the rows its own
way (columns, widths, words), but which fields a row has and where they come from is decided here:
:func:`sr_core.runs.listing.list_runs` for run folders, :func:`sr_core.runs.shipped.list_shipped` for shipped ones.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from sr_core.runs.listing import list_runs
from sr_core.runs.shipped import list_shipped


@dataclass(frozen=True)
class RunRow:
    """One listed run or shipped checkpoint. ``None`` means "not known" (no status, no eval yet)."""

    name: str                             # run folder name; a shipped checkpoint's model name
    path: str                             # the run's (or shipped checkpoint's) folder
    error: str = ""                       # why the run cannot be used; "" when it can
    model: str = "?"
    dataset: str = "fashion-mnist"        # training data (sr_core.runs.trained_on.trained_on_text words it)
    patch: int = 0                        # HR patch side of a photo run (0: the model's default)
    preset: str = ""
    status: str = "unknown"               # created/running/finished/stopped/nan/failed, or "shipped"
    note: str = ""                        # extra status detail (e.g. how to resume it)
    step: int | None = None
    total_steps: int | None = None
    best_test_loss: float | None = None   # lowest test loss so far
    psnr: float | None = None             # dB, from eval.json (set protocol: sr_core.metrics.PROTOCOL)
    ssim: float | None = None             # shipped checkpoints only
    n_eval_images: int | None = None      # images behind psnr/ssim (shipped checkpoints)
    eval_dataset: str = ""                # what eval.json scored (shipped checkpoints)
    photo_psnr: float | None = None       # shipped photo models: mean Y-PSNR on the held-out photos (dB) ...
    gain_db: float | None = None          # ... and its gain over bicubic from the same LR (dB)
    train_s: float | None = None          # wall-clock training time (shipped checkpoints)
    has_checkpoint: bool = False
    shipped: bool = False                 # read-only: never deleted or overwritten

    @property
    def usable(self) -> bool:
        return not self.error


_FIELDS = frozenset(f.name for f in fields(RunRow))


def rows_from(summaries: list[dict[str, Any]]) -> list[RunRow]:
    """:class:`RunRow` of each :func:`~sr_core.runs.listing.list_runs` / :func:`~sr_core.runs.shipped.list_shipped`
    dict; keys the table does not show are dropped, missing ones keep their defaults."""
    return [RunRow(**{k: v for k, v in s.items() if k in _FIELDS and v is not None}) for s in summaries]


def run_rows(runs_dir: str | os.PathLike | None = None, *, shipped: bool = True, check: bool = False) -> list[RunRow]:
    """The run folders in ``runs_dir`` (default: :func:`sr_core.runs.store.runs_root`), newest first, then
    (``shipped``) the shipped checkpoints in name order. ``check``: checkpoints that do not load make
    their run broken (see :func:`sr_core.runs.listing.list_runs`)."""
    rows = rows_from(list_runs(runs_dir, check=check))
    return rows + rows_from(list_shipped()) if shipped else rows
