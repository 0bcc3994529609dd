"""The run table (:mod:`sr_core.runs.table`) as the pages show it: Home's short list, the Runs page's
full table, and the shipped checkpoints' table and caption (both pages). Plain lists of dicts, one
per table row, for ``st.table`` / ``st.dataframe``; and the metrics of the runs whose curves the
Runs page overlays.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from sr_core.errors import UserError
from sr_core.runs.table import RunRow
from sr_core.runs.store import RunDir
from sr_core.runs.trained_on import trained_on_text

from ui.labels import SHORT_PROTOCOL


def _num(v: float | int | None, fmt: str) -> str:
    return "–" if v is None else format(v, fmt)


def _steps(r: RunRow) -> str:
    return f"{r.step if r.step is not None else 0} / {r.total_steps or '?'}"


def home_runs_table(rows: list[RunRow]) -> list[dict[str, str]]:
    """Home's list of trained runs: name, model, training data, status, steps, whether a checkpoint exists."""
    return [{"Run": r.name, "Model": r.model, "Trained on": trained_on_text(r), "Status": r.note or r.status,
             "Steps": _steps(r), "Checkpoint": "yes" if r.has_checkpoint else "no"} for r in rows]


def runs_table(rows: list[RunRow]) -> list[dict[str, str]]:
    """The Runs page's table: every run, a broken one with its error."""
    return [{"Run": r.name, "Model": r.model, "Trained on": "–" if r.error else trained_on_text(r),
             "Preset": r.preset or "–", "Steps": _steps(r) if r.step is not None else "–",
             "Status": "broken" if r.error else r.status,
             "Best test loss": _num(r.best_test_loss, ".4f"), "PSNR (dB)": _num(r.psnr, ".2f"),
             "Checkpoint": "yes" if r.has_checkpoint else "no", "Error": r.error or r.note} for r in rows]


def _photo_score(r: RunRow) -> str:
    if r.photo_psnr is None:
        return "–"
    gain = "" if r.gain_db is None else f" ({r.gain_db:+.2f} vs bicubic)"
    return f"{r.photo_psnr:.2f}{gain}"


def shipped_table(rows: list[RunRow]) -> list[dict[str, str]]:
    """The shipped checkpoints (Home and Runs). PSNR/SSIM: the Fashion-MNIST test set only; a photo model's
    score (held-out photos, Y protocol, gain over bicubic) has its own column."""
    return [{"Shipped checkpoint": r.name, "Model": r.model, "Trained on": trained_on_text(r),
             "Preset": r.preset or "–", "Steps": _num(r.step, "d"), "PSNR (dB)": _num(r.psnr, ".2f"),
             "SSIM": _num(r.ssim, ".3f"), "Held-out photos Y-PSNR (dB)": _photo_score(r),
             "Train time": "–" if r.train_s is None else f"{r.train_s / 60:.1f} min"} for r in rows]


def shipped_caption(rows: list[RunRow]) -> str:
    """Where the shipped checkpoints come from and the protocol of their numbers."""
    n = {r.n_eval_images for r in rows if r.n_eval_images and r.psnr is not None}
    images = f"{n.pop():,} Fashion-MNIST test images" if len(n) == 1 else "the Fashion-MNIST test set"
    photos = ("" if not any(r.photo_psnr is not None for r in rows) else
              " Photo models: mean Y-PSNR on the held-out photos (scikit-image test list; BasicSR "
              "protocol, 2 border pixels shaved) and its gain over bicubic from the same LR.")
    return (f"Read-only, trained by this project's CLI (scripts/make_checkpoints.py; train time on 1 CPU thread). "
            f"PSNR/SSIM of SR from LR (2×2 box) on {images}: {SHORT_PROTOCOL}.{photos}")


def read_curves(rows: Mapping[str, Mapping[str, Any]], names: list[str]) -> tuple[dict[str, list[dict]], list[str]]:
    """({name: metrics.csv rows} of runs ``names`` in ``rows`` ({name: run row}), one-line warnings for
    the runs whose metrics cannot be read: those are left out)."""
    curves, warnings = {}, []
    for name in names:
        try:
            curves[name] = RunDir(Path(rows[name]["path"])).read_metrics()
        except UserError as exc:
            warnings.append(f"Run '{name}': {exc} — its curve is left out")
        except OSError as exc:
            warnings.append(f"metrics.csv of run '{name}' is unreadable ({exc.strerror}); its curve is left out")
    return curves, warnings
