"""The run table (:mod:`sr_core.run_table`) as the pages show it: Home's short list, the Runs page's
full table, and the shipped checkpoints' table and caption (both pages). Plain lists of dicts, one
per table row, for ``st.table`` / ``st.dataframe``.
"""
from __future__ import annotations

from sr_core.run_table import RunRow

from .labels import SHORT_PROTOCOL


def _num(v: float | int | None, fmt: str) -> str:
    return "–" if v is None else format(v, fmt)


def _steps(r: RunRow) -> str:
    return f"{r.step if r.step is not None else 0} / {r.total_steps or '?'}"


def home_runs_table(rows: list[RunRow]) -> list[dict[str, str]]:
    """Home's list of trained runs: name, model, status, steps, whether a checkpoint exists."""
    return [{"Run": r.name, "Model": r.model, "Status": r.status, "Steps": _steps(r),
             "Checkpoint": "yes" if r.has_checkpoint else "no"} for r in rows]


def runs_table(rows: list[RunRow]) -> list[dict[str, str]]:
    """The Runs page's table: every run, a broken one with its error."""
    return [{"Run": r.name, "Model": r.model, "Preset": r.preset or "–",
             "Steps": _steps(r) if r.step is not None else "–",
             "Status": "broken" if r.error else r.status,
             "Best test loss": _num(r.best_test_loss, ".4f"), "PSNR (dB)": _num(r.psnr, ".2f"),
             "Checkpoint": "yes" if r.has_checkpoint else "no", "Error": r.error} for r in rows]


def shipped_table(rows: list[RunRow]) -> list[dict[str, str]]:
    """The shipped checkpoints (Home and Runs)."""
    return [{"Shipped checkpoint": r.name, "Model": r.model, "Preset": r.preset or "–",
             "Steps": _num(r.step, "d"), "PSNR (dB)": _num(r.psnr, ".2f"), "SSIM": _num(r.ssim, ".3f"),
             "Train time": "–" if r.train_s is None else f"{r.train_s / 60:.1f} min"} for r in rows]


def shipped_caption(rows: list[RunRow]) -> str:
    """Where the shipped checkpoints come from and the protocol of their numbers."""
    n = {r.n_eval_images for r in rows if r.n_eval_images}
    images = f"{n.pop():,} Fashion-MNIST test images" if len(n) == 1 else "the Fashion-MNIST test set"
    return (f"Read-only, trained by this project's CLI (scripts/make_checkpoints.py; train time on 1 CPU thread). "
            f"PSNR/SSIM of SR from LR (2×2 box) on {images}: {SHORT_PROTOCOL}.")
