"""Evaluation of a model's decoder-only SR against interpolation baselines, per image.

Protocol (also :data:`sr_core.metrics.PROTOCOL`): PSNR/SSIM per image on the 28x28 HR test images,
data range 1, no border crop, averaged over the set. The model's SR image comes from the LR image
alone (``super_resolve``); the full-VAE reconstruction (HR in, with z = posterior mode) is reported
separately because it sees the HR image.

Optional extras (keyword arguments with defaults, so older callers get the same numbers):
- stochastic models: ``diversity`` (mean per-pixel std over ``samples`` SR samples of one LR image)
  and ``best_of_8_psnr`` (per image the best PSNR of those samples), inside the ``model`` entry;
- ``projection=True``: a ``model+projection`` entry, the SR image back-projected onto the LR input
  (:func:`sr_core.projection.project`, bounded to [0, 1]); ``box`` degradation only (it is the exact
  back-projection of 2x2 averaging), other degradations get no such entry;
- class-conditioned models (``has_classifier``): the ``model`` entry uses the dataset's labels (oracle);
  a ``model+predicted_labels`` entry uses the model's own LR classifier, with its ``accuracy``;
- ``hf_share=True``: each entry gains ``hf_share`` (:func:`sr_core.spectra.hf_energy_share`), and an
  ``hr`` entry gives the HR images' own share.
"""
from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any, Callable

import torch

from sr_core.baselines import BASELINES, upsample
from sr_core.data import Split
from sr_core.degrade import get_degradation
from sr_core.fs import atomic_write_text, json_safe
from sr_core.metrics import PROTOCOL, lr_psnr, psnr, ssim, summarize  # noqa: F401
from sr_core.models import SRModel
from sr_core.projection import project
from sr_core.runs.store import RunDir
from sr_core.seeds import samples_seed
from sr_core.spectra import hf_energy_share


@torch.no_grad()
def predict(model: SRModel | None, hr: torch.Tensor, degradation: str = "box", labels: torch.Tensor | None = None,
            seed: int = 0, *, samples: int = 0, projection: bool = False, predicted_labels: bool = False,
            temperature: float | None = None) -> dict[str, torch.Tensor]:
    """All outputs for a batch of HR images (B,1,28,28) in [0,1], on the model's device.

    Returns ``lr`` (B,1,14,14) and, each (B,1,28,28) in [0,1]: ``nearest``, ``bilinear``, ``bicubic``,
    and with a model ``sr`` (decoder-only SR from LR) and ``recon`` (full pass from HR, z = mode)
    when the model has one. Optional: ``samples`` (K,B,1,28,28), K more SR samples of a stochastic
    model (own noise seed, so ``sr`` is unchanged); ``sr_projected`` (``projection``);
    ``sr_predicted`` and ``pred_labels`` (``predicted_labels``, models with ``has_classifier``).
    ``temperature`` goes to ``super_resolve`` (used by models with ``takes_temperature``, e.g. cvae-sr).
    """
    degrade = get_degradation(degradation)
    lr = degrade(hr)
    out: dict[str, torch.Tensor] = {"lr": lr}
    for m in BASELINES:
        out[m] = upsample(lr, m)
    if model is not None:
        model.eval()
        gen = torch.Generator(device=hr.device).manual_seed(seed)
        kw = {"temperature": model.clamp_temperature(temperature)} if model.takes_temperature else {}
        out["sr"] = model.super_resolve(lr, labels=labels, generator=gen, **kw).clamp(0, 1)
        if model.has_reconstruction:
            out["recon"] = model(hr, lr=lr, labels=labels, generator=gen, sample=False).recon.clamp(0, 1)
        if samples and model.stochastic:
            sgen = torch.Generator(device=hr.device).manual_seed(samples_seed(seed))
            out["samples"] = _batched_samples(model, lr, labels, samples, sgen, kw)
        if projection and degradation == "box":  # the exact back-projection of 2x2 averaging only
            out["sr_projected"] = project(out["sr"], lr, clamp=True)
        if predicted_labels and model.has_classifier:
            out["pred_labels"] = model.classify(lr)
            pgen = torch.Generator(device=hr.device).manual_seed(seed)
            out["sr_predicted"] = model.super_resolve(lr, labels=None, generator=pgen, **kw).clamp(0, 1)
    return out


def fast_inference_copy(model: SRModel | None) -> SRModel | None:
    """A copy of ``model`` in eval mode with channels-last weights on CPU (the caller's model is untouched).

    Convolutions dominate scoring a set, and on CPU oneDNN runs them 1.4-2x faster in channels-last
    layout; outputs agree with the contiguous model to float32 rounding.
    """
    if model is None:
        return None
    if next(model.parameters()).device.type != "cpu":
        return model

    return copy.deepcopy(model).eval().to(memory_format=torch.channels_last)


#: Images per forward pass when drawing several SR samples at once (K samples x this / K images).
SAMPLE_BATCH = 1000


def _batched_samples(model: SRModel, lr: torch.Tensor, labels: torch.Tensor | None, k: int,
                     gen: torch.Generator, kw: dict[str, Any]) -> torch.Tensor:
    """``k`` SR samples of each LR image (B,1,14,14) -> (K,B,1,28,28) in [0, 1].

    The K copies of a chunk of images go through ONE forward pass (one Python/dispatch overhead per
    chunk instead of K; :meth:`SRModel.super_resolve_samples`, which runs a stochastic model's LR-only
    part, e.g. cvae-sr's prior, once per image); chunks keep a pass at about :data:`SAMPLE_BATCH` images so memory stays flat.
    """
    b = lr.shape[0]
    step = max(1, SAMPLE_BATCH // k)
    parts = []
    for i in range(0, b, step):
        x = lr[i:i + step]
        n = x.shape[0]
        lab = None if labels is None else labels[i:i + step]
        # (K*n, 1, 28, 28), sample-major, so a reshape splits K off; LR-only work runs once per chunk.
        sr = model.super_resolve_samples(x, k, labels=lab, generator=gen, **kw).clamp(0, 1)
        parts.append(sr.reshape(k, n, *sr.shape[1:]))
    return torch.cat(parts, dim=1)  # (K, B, 1, 28, 28)


@torch.no_grad()
def per_image_metrics(model: SRModel | None, split: Split, *, degradation: str = "box", limit: int = 0,
                      device: torch.device | str = "cpu", batch_size: int = 1000,
                      seed: int = 0, samples: int = 8, projection: bool = False, hf_share: bool = False,
                      predicted_labels: bool = True,
                      temperature: float | None = None, baselines: bool = True,
                      progress: Callable[[int, int], None] | None = None,
                      stop: threading.Event | None = None) -> dict[str, dict[str, torch.Tensor]]:
    """Per-image metrics over the first ``limit`` images of ``split`` (0 = all).

    ``baselines=False`` leaves out the interpolation baselines (they do not depend on the model, so a
    caller scoring several models scores them once). The one progress/cancel protocol of sr_core:
    ``progress(done, total)`` after each batch (images done so far); a set ``stop`` event ends early
    (the result then covers the images done so far).

    Returns {method: {"psnr": (N,), "ssim": (N,), "lr_psnr": (N,)}} for ``nearest``, ``bilinear``,
    ``bicubic``, and with a model ``model`` (decoder-only SR) and ``reconstruction`` (psnr, ssim only).
    Extras (see the module docstring): ``model`` of a stochastic model gains ``diversity`` and
    ``best_of_{samples}_psnr`` (``samples`` > 0); ``model+projection``; ``model+predicted_labels``
    (with per-image ``accuracy`` 0/1); ``hf_share`` per method plus an ``hr`` entry.
    """
    degrade = get_degradation(degradation)
    n = len(split) if not limit else min(limit, len(split))
    acc: dict[str, dict[str, list[torch.Tensor]]] = {}
    model = fast_inference_copy(model)
    for i in range(0, n, batch_size):
        if stop is not None and stop.is_set():
            break
        idx = slice(i, min(i + batch_size, n))
        hr = split.hr(idx, device)
        labels = split.labels[idx].to(device)
        outs = predict(model, hr, degradation, labels, seed=seed + i, samples=samples, projection=projection,
                       predicted_labels=predicted_labels, temperature=temperature)
        for key, name in (*((("nearest", "nearest"), ("bilinear", "bilinear"), ("bicubic", "bicubic"))
                            if baselines or model is None else ()),
                          ("sr", "model"), ("sr_projected", "model+projection"),
                          ("sr_predicted", "model+predicted_labels"), ("recon", "reconstruction")):
            if key not in outs:
                continue
            img = outs[key]
            d = acc.setdefault(name, {"psnr": [], "ssim": [], "lr_psnr": []})
            d["psnr"].append(psnr(img, hr).cpu())
            d["ssim"].append(ssim(img, hr).cpu())
            if name != "reconstruction":
                d["lr_psnr"].append(lr_psnr(img, outs["lr"], degrade).cpu())
            if hf_share:
                d.setdefault("hf_share", []).append(hf_energy_share(img).reshape(-1).cpu())
        if "samples" in outs:  # (K, B, 1, 28, 28)
            smp = outs["samples"]
            d = acc["model"]
            d.setdefault("diversity", []).append(smp.double().std(dim=0).flatten(1).mean(dim=1).cpu())
            best = torch.stack([psnr(s, hr) for s in smp]).amax(dim=0)  # (B,)
            d.setdefault(f"best_of_{smp.shape[0]}_psnr", []).append(best.cpu())
        if "pred_labels" in outs:
            acc["model+predicted_labels"].setdefault("accuracy", []).append(
                (outs["pred_labels"] == labels).double().cpu())
        if hf_share:
            acc.setdefault("hr", {}).setdefault("hf_share", []).append(hf_energy_share(hr).reshape(-1).cpu())
        if progress is not None:
            progress(idx.stop, n)
    return {name: {k: torch.cat(v) for k, v in d.items() if v} for name, d in acc.items()}


def evaluate(model: SRModel | None, split: Split, *, degradation: str = "box", limit: int = 0,
             device: torch.device | str = "cpu", seed: int = 0, samples: int = 8, projection: bool = False,
             hf_share: bool = False, predicted_labels: bool = True,
             temperature: float | None = None) -> dict[str, Any]:
    """The ``eval --json`` object: protocol, dataset, image count, and mean metrics per method.

    Stochastic models' ``model`` entry includes ``diversity`` and ``best_of_8_psnr`` (``samples``=8).
    ``projection``, ``hf_share``, ``predicted_labels`` and ``temperature``: see :func:`per_image_metrics`.
    """
    per = per_image_metrics(model, split, degradation=degradation, limit=limit, device=device, seed=seed,
                            samples=samples, projection=projection, hf_share=hf_share,
                            predicted_labels=predicted_labels, temperature=temperature)
    return eval_result(per, dataset=split.name, split="train" if split.train else "test", degradation=degradation,
                       samples=samples if model is not None and model.stochastic else None,
                       temperature=temperature)


EVAL_METHODS = ("model", "model+projection", "model+predicted_labels", "nearest", "bilinear", "bicubic",
                "reconstruction", "hr")


def eval_result(per_image: dict[str, dict[str, Any]], *, dataset: str, degradation: str, split: str = "test",
                samples: int | None = None, temperature: float | None = None,
                step: int | None = None) -> dict[str, Any]:
    """The ``eval.json`` object from per-image metrics (torch or numpy (N,) arrays per metric).

    Layout: protocol, dataset, split, n_images, degradation[, samples, temperature (stochastic models),
    step], then the mean metrics per method in :data:`EVAL_METHODS` order.
    """
    means = {name: summarize({k: v for k, v in d.items() if len(v)}) for name, d in per_image.items()}
    n = len(next(iter(per_image.values()))["psnr"])
    result: dict[str, Any] = {"protocol": PROTOCOL, "dataset": dataset, "split": split, "n_images": int(n),
                              "degradation": degradation}
    if step is not None:
        result["step"] = int(step)
    if samples is not None:
        result["samples"] = samples
        if temperature is not None:
            result["temperature"] = float(temperature)
    for name in EVAL_METHODS:
        if name in means:
            result[name] = means[name]
    return result


def write_eval(run_path: str | Path, result: dict[str, Any]) -> Path:
    """Write ``result`` (an :func:`eval_result` / :func:`evaluate` object) as the run's ``eval.json``,
    atomically and as strict JSON (inf/NaN -> null); returns the file's path."""
    path = RunDir(Path(run_path)).eval_path
    atomic_write_text(path, json.dumps(json_safe(result), indent=2))
    return path
