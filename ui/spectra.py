"""What the Spectra page shows: spectral views of one sample and of a test-set average, per model.

The maths (power spectra, radial profiles, the summary of a batch) is :mod:`sr_core.spectra`; this
module runs the models on test images, names the image kinds for display, and describes the
set-average work as background tasks (:mod:`ui.background`) keyed by checkpoint file + mtime,
dataset, degradation and N. No Streamlit here.
"""
from __future__ import annotations

from typing import Any, Hashable, Mapping

import numpy as np
import torch

from sr_core.data import Split
from sr_core.evaluate import predict
from sr_core.spectra import LR_NYQUIST, SUMMARY_KEYS, spectrum_summary

from ui.background import Task

#: Display names of the image kinds of a summary (keys of :func:`sr_core.spectra.spectrum_summary`).
SPECTRA_LABELS = {"hr": "HR", "lr": "LR", "recon": "Reconstruction", "sr": "Decoder-only SR",
                  "bicubic": "Bicubic"}
ERROR_LABELS = {"sr": "SR − HR", "bicubic": "Bicubic − HR", "recon": "Reconstruction − HR"}
BATCH = 250  # images per forward pass of a set average (one progress report each)


@torch.no_grad()
def spectra_outputs(model: Any, split: Split, indices: list[int] | slice, *, degradation: str = "box",
                    seed: int = 0, batch_size: int = BATCH, progress=None, stop=None) -> dict[str, torch.Tensor]:
    """HR, LR, reconstruction, decoder-only SR and bicubic images of ``indices`` as (B,1,H,W) CPU tensors.

    sr_core's progress/cancel protocol: ``progress(done, total)`` after each batch; a set ``stop`` event
    (``threading.Event``) ends early.
    """
    idx = list(range(*indices.indices(len(split)))) if isinstance(indices, slice) else list(indices)
    acc: dict[str, list[torch.Tensor]] = {}
    for i in range(0, len(idx), batch_size):
        if stop is not None and stop.is_set():
            break
        chunk = idx[i:i + batch_size]
        hr = split.hr(chunk)
        outs = predict(model, hr, degradation, split.labels[chunk], seed=seed + i)
        outs["hr"] = hr
        for k in SUMMARY_KEYS:
            if k in outs:
                acc.setdefault(k, []).append(outs[k].cpu())
        if progress is not None:
            progress(i + len(chunk), len(idx))
    return {k: torch.cat(v) for k, v in acc.items()}


def labelled(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A :func:`sr_core.spectra.spectrum_summary` with display names instead of keys."""
    return {"panels": {SPECTRA_LABELS[k]: v for k, v in summary["panels"].items()},
            "radial": {SPECTRA_LABELS[k]: v for k, v in summary["radial"].items()},
            "hf_share": {SPECTRA_LABELS[k]: v for k, v in summary["hf_share"].items()},
            "error_panels": {ERROR_LABELS[k]: v for k, v in summary["error_panels"].items()},
            "n": summary["n"]}


def spectra_summary(images: Mapping[str, torch.Tensor], *, cutoff: float = float(LR_NYQUIST)) -> dict[str, Any]:
    """Everything the Spectra page draws for a batch of images, with display names (see :func:`labelled`)."""
    return labelled(spectrum_summary(dict(images), cutoff=cutoff))


def set_spectra_task(model: Any, ckpt: tuple[str, float, int], label: str, split: Split, *, dataset: str,
                     degradation: str, limit: int) -> Task:
    """Background task: the labelled summary of the first ``limit`` test images of one model."""
    n = min(limit, len(split))

    def run(progress, stop):
        return spectra_summary(spectra_outputs(model, split, slice(0, n), degradation=degradation,
                                               progress=progress, stop=stop))
    return Task(set_spectra_key(ckpt, dataset, degradation, n), label, n, run)


def set_spectra_key(ckpt: tuple[str, float, int], dataset: str, degradation: str, n: int) -> Hashable:
    return ("spectra", ckpt, dataset, degradation, n)


def hf_share_table(hf_share: Mapping[str, float], cutoff: float = float(LR_NYQUIST)) -> list[dict[str, str]]:
    """Rows for the high-frequency energy table: Image, share of power above the cutoff (percent)."""
    return [{"Image": name, f"Energy above {cutoff:g} cycles/image": f"{100.0 * v:.2f} %"}
            for name, v in hf_share.items()]


def overlay_spectra(summaries: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]],
                                                                          dict[str, float]]:
    """Radial power profiles and high-frequency shares of several models on one chart.

    summaries: {label: :func:`ui.spectra.spectra_summary` of that model on the same images}.
    Returns ({name: (radii, power)}, {name: HF share}) with HR, LR and bicubic once (from the first
    summary; they do not depend on the model) followed by each model's SR as ``SR · <label>``.
    """
    profiles: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    hf: dict[str, float] = {}
    first = next(iter(summaries.values()), None)
    if first is None:
        return profiles, hf
    for name in ("HR", "LR", "Bicubic"):
        if name in first["radial"]:
            profiles[name], hf[name] = first["radial"][name], first["hf_share"][name]
    for label, summary in summaries.items():
        profiles[f"SR · {label}"] = summary["radial"]["Decoder-only SR"]
        hf[f"SR · {label}"] = summary["hf_share"]["Decoder-only SR"]
    return profiles, hf
