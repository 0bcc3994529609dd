"""One sweep trial: train one (setting, seed) into an ordinary run folder, then score it like ``eval``.

:func:`run_trial` is what a Ray worker executes (and what the serial reference loop in
``bench/sweep_scaling.py`` calls directly). It is idempotent, so a resumed sweep can call it again:
a trial whose run already finished and was scored returns its recorded numbers; one killed mid-run
continues from its last checkpoint (bit-exact, see :mod:`sr_core.trainer`); a folder without a
checkpoint starts over. It never raises for a trial's own failure (bad setting, NaN loss, exception):
it returns ``{"status": "failed", "error": one line}`` so the sweep records it and goes on.
"""
from __future__ import annotations

import json
import math
import shutil
import time
from typing import Any

import torch

from sr_core.checkpoint import load_checkpoint, model_from_checkpoint
from sr_core.data import load_split
from sr_core.device import resolve_device
from sr_core.errors import UserError
from sr_core.evaluate import evaluate, write_eval
from sr_core.fs import atomic_write_text, json_safe
from sr_core.photos import is_photo_dataset, resolve_patch
from sr_core.runs.jobs import resume_job, start_job
from sr_core.runs.store import RunDir, runs_root
from sr_core.runs.status import RunStatus, TrialStatus
from sr_core.sweeps.spec import setting_label, spec_from_dict, trial_run_name


def trial_metrics(result: dict[str, Any], test_loss: float | None) -> dict[str, float | None]:
    """The numbers a sweep aggregates, from an ``eval`` result and the run's final test loss."""
    model = result.get("model") or {}
    recon = result.get("reconstruction") or {}
    return {"sr_psnr": model.get("psnr"), "sr_ssim": model.get("ssim"), "lr_psnr": model.get("lr_psnr"),
            "recon_psnr": recon.get("psnr"), "recon_ssim": recon.get("ssim"), "test_loss": test_loss,
            "bicubic_psnr": (result.get("bicubic") or {}).get("psnr")}


def final_test_loss(run: RunDir) -> float | None:
    tests = [r for r in run.read_metrics() if r["split"] == "test" and r["total"] is not None]
    return tests[-1]["total"] if tests else None


def _tag(run: RunDir, tag: dict[str, Any]) -> None:
    """Mark the run folder as a trial of the sweep (``config.json`` -> ``"sweep"``)."""
    meta = run.config()
    meta["sweep"] = tag
    atomic_write_text(run.config_path, json.dumps(meta, indent=2))


def _evaluate(run: RunDir, data_dir: str | None, limit: int) -> dict[str, Any]:
    """``eval``'s protocol on the run's checkpoint; written to the run's ``eval.json``."""
    ckpt = load_checkpoint(run.checkpoint_path)
    tcfg = ckpt.get("train_config") or {}
    device = resolve_device(tcfg.get("device", "auto"))
    model, _ = model_from_checkpoint(ckpt, map_location=device)
    ds = tcfg.get("dataset", "fashion-mnist")
    patch = resolve_patch(tcfg.get("model", ""), int(tcfg.get("patch", 0) or 0)) if is_photo_dataset(ds) else 0
    split = load_split(ds, train=False, data_dir=data_dir, patch=patch)
    res = evaluate(model, split, degradation=tcfg.get("degradation", "box"), limit=limit, device=device)
    res = {"protocol": res["protocol"], "checkpoint": str(run.checkpoint_path), "model_name": ckpt["model_name"],
           "step": ckpt.get("step"), **{k: v for k, v in res.items() if k != "protocol"}}
    write_eval(run.path, res)  # the same writer as `eval`
    return res


def _scored(run: RunDir, steps: int, limit: int) -> dict[str, Any] | None:
    """The run's recorded eval result when it finished all ``steps`` and was scored on ``limit`` images."""
    try:
        ev = run.read_json(run.eval_path)
        st = run.status()
    except UserError:
        return None
    n_expected = limit or None
    if st.get("status") == RunStatus.FINISHED and ev.get("step") == steps and \
            (n_expected is None or ev.get("n_images") == n_expected):
        return ev
    return None


def run_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train and score one trial. ``config``: ``spec`` (a SweepSpec dict), ``setting``, ``seed``,
    ``runs_dir`` and ``data_dir`` (absolute), ``threads`` (torch intra-op threads).

    Returns ``{"status": "finished", "run": name, "metrics": {...}, "train_s", "eval_s"}`` or
    ``{"status": "failed", "run": name, "error": one line}``.
    """
    torch.set_num_threads(int(config.get("threads") or 1))
    spec = spec_from_dict(config["spec"])
    setting, seed = int(config["setting"]), int(config["seed"])
    name = trial_run_name(spec.name, setting, seed)
    out: dict[str, Any] = {"run": name, "setting": setting, "seed": seed}
    try:
        return {**out, **_train_and_score(spec, setting, seed, name, config)}
    except Exception as exc:  # a trial's failure is data for the sweep, not a crash of the sweep
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return {**out, "status": TrialStatus.FAILED, "error": f"{type(exc).__name__}: {msg}"[:400]}


def _train_and_score(spec, setting: int, seed: int, name: str, config: dict[str, Any]) -> dict[str, Any]:
    runs_dir, data_dir = config["runs_dir"], config.get("data_dir")
    cfg = spec.trial_config(setting, seed)
    path = runs_root(runs_dir) / name
    run = RunDir(path)
    t0 = time.perf_counter()
    done = _scored(run, cfg.steps, spec.eval_limit) if path.is_dir() else None
    if done is not None:
        return {"status": TrialStatus.FINISHED, "metrics": trial_metrics(done, final_test_loss(run)), "train_s": 0.0,
                "eval_s": 0.0, "reused": True}
    ckpt_step = None
    if path.is_dir() and run.checkpoint_path.is_file():
        ckpt_step = int(load_checkpoint(run.checkpoint_path).get("step") or 0)
    if path.is_dir() and not ckpt_step:
        shutil.rmtree(path)  # killed before its first checkpoint: start the trial over
    status = RunStatus.FINISHED
    if ckpt_step is None or ckpt_step == 0:
        job = start_job(cfg, runs_dir=runs_dir, name=name, data_dir=data_dir,
                        command=["python", "-m", "sr_core", "sweep", "--name", spec.name])
        trainer, run = job.trainer, job.run
        _tag(run, {"name": spec.name, "setting": setting, "label": setting_label(spec.settings()[setting]),
                   "seed": seed})
        status = job.run_here()
    elif ckpt_step < cfg.steps:
        job = resume_job(name, runs_dir=runs_dir, data_dir=data_dir)
        trainer, run = job.trainer, job.run
        status = job.run_here()
    if status != RunStatus.FINISHED:
        msg = trainer.snapshot().message or f"training ended with status '{status}'"
        return {"status": TrialStatus.FAILED, "error": f"{status}: {msg}"[:400]}
    train_s = time.perf_counter() - t0
    res = _evaluate(run, data_dir, spec.eval_limit)
    metrics = trial_metrics(json_safe(res), final_test_loss(run))
    if metrics["sr_psnr"] is None or not math.isfinite(metrics["sr_psnr"]):
        return {"status": TrialStatus.FAILED, "error": "evaluation gave no finite SR PSNR", "metrics": metrics}
    return {"status": TrialStatus.FINISHED, "metrics": metrics, "train_s": train_s,
            "eval_s": time.perf_counter() - t0 - train_s}
