"""The Compare page's set-level table: every model's SR (and projection) and the interpolation
baselines scored over the first N test images, computed in the background (:mod:`ui.background`).

A page builds a :class:`SetRequest` from its settings, asks for its tasks, and draws
:func:`table_state`: fresh rows for what is cached, the last finished numbers (marked stale) for
what is still computing, and the progress of the rest. Cache keys hold the checkpoint's file and
mtime, dataset, degradation, N and temperature (each entry holds the LR-consistent projection too),
so any setting seen before is instant.
The baselines do not depend on the model: one task per (dataset, degradation, N) serves every model.
Metrics follow :data:`sr_core.metrics.PROTOCOL`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Mapping, MutableMapping

import numpy as np

from sr_core.data import Split
from sr_core.evaluate import eval_result, per_image_metrics, write_eval

from ui.background import BackgroundWorker, Status, Task
from ui.compare import projection_available
from ui.labels import SHIPPED_PREFIX, SHORT_PROTOCOL, fmt_duration

BASELINE_ROWS = (("nearest", "nearest"), ("bilinear", "bilinear"), ("bicubic", "bicubic"))
BASELINES = "baselines"  # the table's key for the interpolation baselines' entry
DEFAULT_LIMIT = 1000  # the live table's N; the full test set is an explicit action

PerImage = dict[str, dict[str, np.ndarray]]  # {method: {metric: (N,) float64}}


@dataclass(frozen=True)
class LoadedModel:
    """One model of a page: its label, the loaded model and its checkpoint key (path, mtime, size)."""

    label: str
    model: Any = field(compare=False, hash=False)
    ckpt: tuple[str, float, int]


@dataclass(frozen=True)
class SetRequest:
    """What the table shows: the models (primary first) scored on ``limit`` images of ``split``."""

    models: tuple[LoadedModel, ...]
    split: Split = field(compare=False, hash=False)
    dataset: str
    degradation: str
    limit: int
    projection: bool
    temperature: float | None

    def key(self, label: str) -> Hashable:
        """Cache key of a model's entry (``BASELINES`` for the baselines)."""
        if label == BASELINES:
            return ("set", BASELINES, self.dataset, self.degradation, self.limit)
        m = next(s for s in self.models if s.label == label)
        # No projection in the key: a model's entry always holds its projection (one SR pass serves both),
        # so the projection toggle only shows or hides rows.
        return ("set", m.ckpt, self.dataset, self.degradation, self.limit, m.model.clamp_temperature(self.temperature))

    def labels(self) -> list[str]:
        """Entries in computing order: the primary (the ranking needs it), the baselines, the rest."""
        names = [m.label for m in self.models]
        return names[:1] + [BASELINES] + names[1:]

    def tasks(self) -> list[Task]:
        return [self._task(label) for label in self.labels()]

    def _task(self, label: str) -> Task:
        split, limit, degradation = self.split, self.limit, self.degradation
        n = min(limit, len(split))
        if label == BASELINES:
            def run(progress, stop):
                return _numpy(per_image_metrics(None, split, degradation=degradation, limit=limit,
                                                progress=progress, stop=stop))
            return Task(self.key(label), "interpolation baselines", n, run)
        m = next(s for s in self.models if s.label == label)
        t = m.model.clamp_temperature(self.temperature)
        project = projection_available(degradation)

        def run(progress, stop):
            return _numpy(per_image_metrics(m.model, split, degradation=degradation, limit=limit,
                                            projection=project, temperature=t, baselines=False,
                                            progress=progress, stop=stop))
        return Task(self.key(label), label, n, run)


def set_request(state: Mapping[str, Any], models: list[LoadedModel], split: Split, dataset: str,
                degradation: str) -> SetRequest:
    """The request of the Compare page's current settings, read from its widgets' state (``cmp_*``)."""
    temperature = float(state["cmp_temperature"]) if any(m.model.takes_temperature for m in models) \
        and "cmp_temperature" in state else None
    projection = bool(state.get("cmp_projection")) and projection_available(degradation)
    limit = min(int(state.get("cmp_limit", DEFAULT_LIMIT)), len(split))
    return SetRequest(tuple(models), split, dataset, degradation, limit, projection, temperature)


def init_table_settings(state: MutableMapping[str, Any], n_test: int) -> None:
    """Note the split's size (``cmp_n_test``, for :func:`score_all`); N starts at :data:`DEFAULT_LIMIT`."""
    state["cmp_n_test"] = n_test
    state.setdefault("cmp_limit", min(DEFAULT_LIMIT, n_test))


def score_all(state: MutableMapping[str, Any]) -> None:
    """"Score the full test set": N becomes the split's size (``cmp_n_test``) and scoring goes on."""
    state["cmp_limit"] = state["cmp_n_test"]
    state["cmp_paused"] = False


def stop_or_resume(state: MutableMapping[str, Any], worker: BackgroundWorker, client: str) -> None:
    """Toggle ``cmp_paused``; pausing drops ``client``'s queued work from ``worker``."""
    paused = not state.get("cmp_paused", False)
    state["cmp_paused"] = paused
    if paused:
        worker.stop(client)


def progress_text(status: Status) -> str:
    return (f"Scoring {status.current or 'queued work'}: {status.done:,} / {status.total:,} images · "
            f"{fmt_duration(status.eta_s)} left")


def protocol_caption(limit: int, n_test: int, sampled: bool) -> str:
    """The table's caption: the metric protocol, N, and (``sampled``: a stochastic model) the extra columns."""
    return (f"Protocol: {SHORT_PROTOCOL}. Set-level table over the first {limit:,} of {n_test:,} test images; "
            f"a full reconstruction sees the HR image, so it is not super-resolution."
            + (" Diversity: mean per-pixel standard deviation over 8 SR samples of each LR image; "
               "best-of-8: per image the best PSNR of those 8 samples." if sampled else ""))


def histogram_values(per: Mapping[str, PerImage]) -> dict[str, np.ndarray]:
    """{label: per-image SR PSNR} of every model, then bicubic's (the histogram's series)."""
    hist = {label: p["model"]["psnr"] for label, p in per.items() if label != BASELINES}
    hist["bicubic"] = per[BASELINES]["bicubic"]["psnr"]
    return hist


def eval_run_dir(path: Path, label: str) -> Path | None:
    """The run folder whose ``eval.json`` the primary's numbers may be saved as: ``path`` must be a
    trained run's ``checkpoint.pt`` (beside its config.json), not a shipped checkpoint; else None."""
    run_dir = path.resolve().parent
    if (run_dir / "config.json").is_file() and path.name == "checkpoint.pt" and not label.startswith(SHIPPED_PREFIX):
        return run_dir
    return None


def save_eval(run_dir: Path, request: SetRequest, per: Mapping[str, PerImage], step: int | None) -> tuple[Path, dict]:
    """Write the primary model's set-level numbers (and the baselines) as ``run_dir``'s eval.json
    (:func:`sr_core.evaluate.write_eval`); returns (its path, the result written)."""
    primary = request.models[0]
    result = eval_result({**per[primary.label], **per[BASELINES]}, dataset=request.dataset,
                         degradation=request.degradation, step=step,
                         samples=8 if type(primary.model).stochastic else None,
                         temperature=primary.model.clamp_temperature(request.temperature))
    return write_eval(run_dir, result), result


def _numpy(per: Mapping[str, Mapping[str, Any]]) -> PerImage:
    return {m: {k: v.numpy().astype(np.float64) for k, v in d.items()} for m, d in per.items()}


@dataclass
class TableState:
    """What the table can show now: per entry (model labels and ``BASELINES``) its per-image metrics,
    which of them are stale (an earlier setting's), which are still missing, errors, and progress."""

    per: dict[str, PerImage]
    stale: list[str]
    missing: list[str]
    errors: dict[str, str]
    status: Status

    @property
    def complete(self) -> bool:
        return not self.stale and not self.missing


def table_state(worker: BackgroundWorker, request: SetRequest, shown: dict[str, PerImage]) -> TableState:
    """Fresh results from ``worker``, else the last shown (``shown``, updated in place with fresh ones)."""
    per, stale, missing, errors = {}, [], [], {}
    for label in request.labels():
        key = request.key(label)
        fresh = worker.lookup(key)
        if fresh is not None:
            per[label] = shown[label] = fresh
        elif worker.error(key):
            errors[label] = worker.error(key)
        elif label in shown:
            per[label] = shown[label]
            stale.append(label)
        else:
            missing.append(label)
    return TableState(per, stale, missing, errors, worker.status([request.key(x) for x in request.labels()]))


# ---------------------------------------------------------------- table rows

def _fmt(v: float | None, digits: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}f}"


def _row(method: str, d: Mapping[str, np.ndarray], extra_cols: bool) -> dict[str, str]:
    mean = {k: float(np.mean(v)) for k, v in d.items() if len(v)}
    row = {"Method": method, "PSNR (dB)": _fmt(mean.get("psnr"), 2), "SSIM": _fmt(mean.get("ssim"), 4),
           "LR-PSNR (dB)": _fmt(mean.get("lr_psnr"), 2)}
    if extra_cols:
        best = next((k for k in mean if k.startswith("best_of_")), None)
        row["Diversity (mean std)"] = _fmt(mean.get("diversity"), 4)
        row["Best-of-8 PSNR (dB)"] = _fmt(mean[best], 2) if best else "–"
    return row


STALE_MARK = " (stale)"


def compare_table(per_model: Mapping[str, PerImage], stale: tuple[str, ...] | list[str] = (), *,
                  projection: bool = True, pending: tuple[str, ...] | list[str] = ()) -> list[dict[str, str]]:
    """Rows of the set-level table.

    per_model: {label: per-image metrics of that model's SR, SR + projection, reconstruction...} and
    optionally ``BASELINES``: {nearest, bilinear, bicubic: ...} (older callers may put the baselines
    inside the first model's entry). Per model: its SR (from LR), SR + projection and full
    reconstruction (sees HR) when present; then the interpolation baselines once. Stochastic models
    add the columns ``Diversity (mean std)`` and ``Best-of-8 PSNR``. Entries named in ``stale``
    get :data:`STALE_MARK` after their method name; ``projection=False`` leaves out the projection rows.
    Models in ``pending`` (no numbers yet) get one row of "…" after the scored ones.
    """
    extra_cols = any("diversity" in per.get("model", {}) for per in per_model.values())
    rows = []
    for label, per in per_model.items():
        if label == BASELINES:
            continue
        mark = STALE_MARK if label in stale else ""
        for key, what in (("model", "SR from LR"), ("model+projection", "SR + LR projection"),
                          ("model+predicted_labels", "SR, predicted labels"),
                          ("reconstruction", "full reconstruction (sees HR)")):
            if key in per and (projection or key != "model+projection"):
                rows.append(_row(f"{label}: {what}{mark}", per[key], extra_cols))
    for label in pending:
        if label != BASELINES:
            rows.append({**{k: "…" for k in (rows[0] if rows else _row("", {}, extra_cols))},
                         "Method": f"{label}: SR from LR (computing)"})
    base = per_model.get(BASELINES) or next(iter(per_model.values()), {})
    mark = STALE_MARK if BASELINES in stale else ""
    for key, label in BASELINE_ROWS:
        if key in base:
            rows.append(_row(label + mark, base[key], extra_cols))
    return rows
