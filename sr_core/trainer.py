"""A model-agnostic trainer that never prints.

It reports through callbacks (``on_step``, ``on_eval``, ``on_checkpoint``, ``on_end``) and through
:meth:`Trainer.snapshot`, a thread-safe copy of its state that a UI can poll from another thread.
The CLI attaches tqdm, the UI polls snapshots, tests attach counters.

Reproducibility: batch ``s`` is a pure function of (seed, s) (see :func:`sr_core.data.batch_indices`)
and the reparameterization noise of step ``s`` comes from a generator seeded with (seed, s), so a run
resumed from a checkpoint at step k continues exactly as the uninterrupted run would have.
"""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from sr_core.checkpoint import save_checkpoint
from sr_core.config import TrainConfig, lr_at
from sr_core.data import BatchStream, Split
from sr_core.degrade import get_degradation, to_float
from sr_core.device import resolve_device
from sr_core.errors import UserError
from sr_core.latent import latent_lr_psnr
from sr_core.losses import alpha_at
from sr_core.models import SRModel
from sr_core.photos import PatchStream, PhotoSplit
from sr_core.rate import RateMeter
from sr_core.seeds import eval_noise_seed, step_noise_seed
from sr_core.runs.status import RESUMABLE_STATUSES, RunStatus

Callback = Callable[["Trainer", dict[str, Any]], None]
# before_checkpoint: the recorder writes the steps' metrics rows before the checkpoint file of that step
# is renamed into place, so after a kill -9 metrics.csv always covers the checkpoint's step.
EVENTS = ("on_step", "on_eval", "before_checkpoint", "on_checkpoint", "on_end")
EVAL_BATCH = 1000


@dataclass(frozen=True)
class TrainSnapshot:
    """A read-only copy of a training's state at one moment: what the CLI, the Train page and the job
    registry read (:meth:`Trainer.snapshot`, :meth:`sr_core.runs.jobs.TrainJob.snapshot`). Rows are the
    trainer's own dicts (``train``/``test`` lists are copies; rows are shared, read them only).
    Readers that change something make a new one with ``dataclasses.replace``."""

    status: str = RunStatus.READY            # a RunStatus (a str); see sr_core.runs.status
    step: int = 0                            # batches done
    total_steps: int = 0
    start_step: int = 0                      # the step this process started at (> 0 for a resumed run)
    elapsed_s: float = 0.0                   # seconds of this process's training so far
    img_s: float | None = None               # smoothed training images/s (the trainer's one rate meter)
    avg_img_s: float | None = None           # average images/s since the start (None before a rate)
    total_s: float | None = None             # training seconds once the run ended, else None
    eta_s: float | None = None               # seconds left, None before the meter has a rate
    message: str = ""                        # why the run ended (stop reason, NaN step, exception)
    notice: str = ""                         # a one-line note about how the run started
    train: list[dict[str, Any]] = field(default_factory=list)   # metrics rows of the training batches
    test: list[dict[str, Any]] = field(default_factory=list)    # metrics rows of the test evaluations
    alpha_changes: list[int] = field(default_factory=list)      # steps where the alpha schedule changes
    preview: dict[str, Any] | None = None    # the latest preview strip (LR, SR, HR, latent)
    best_test_loss: float | None = None
    checkpoint_step: int | None = None       # step of the latest checkpoint this process saved
    run_name: str = ""                       # filled by a TrainJob (its run folder); '' for a bare trainer
    run_path: str = ""
    error: str = ""                          # an exception that ended the job's thread
    running: bool = False                    # filled by the job registry: the job's thread still trains


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """Load a checkpoint's Adam state, refusing one that does not fit the parameters (a hand-edited or
    mixed-up checkpoint) in one line instead of a torch traceback mid-training."""
    params = [p for g in optimizer.param_groups for p in g["params"]]
    try:
        saved = state["state"]
        groups = state["param_groups"]
        n_saved = sum(len(g["params"]) for g in groups)
        ok = n_saved == len(params) and all(
            isinstance(s, dict) and all(not isinstance(v, torch.Tensor) or v.dim() == 0 or v.shape == params[int(i)].shape
                                        for v in s.values())
            for i, s in saved.items())
        if ok:
            optimizer.load_state_dict(state)
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError):
        ok = False
    if not ok:
        raise UserError("the checkpoint's optimizer state does not match the model's parameters (a damaged or "
                        "mixed-up file); continue from another checkpoint, or start a new run from these weights")


class Trainer:
    """Trains ``model`` on ``train`` with ``config``; evaluates the test loss on ``test``.

    ``checkpoint_path``: where checkpoints go (None: no checkpoints). ``start_step`` and
    ``optimizer_state`` resume a run. Call :meth:`run` in any thread; :meth:`request_stop` from any other.
    """

    def __init__(self, model: SRModel, config: TrainConfig, train: Split, test: Split, *,
                 checkpoint_path: str | None = None, start_step: int = 0,
                 optimizer_state: dict[str, Any] | None = None, best_test_loss: float | None = None,
                 device: torch.device | None = None, n_preview: int = 8) -> None:
        self.config = config
        self.device = device or resolve_device(config.device)
        self.model = model.to(self.device)
        self.degrade = get_degradation(config.degradation)
        self.stream = (PatchStream(train, config.batch_size, config.seed, self.device, self.degrade)
                       if isinstance(train, PhotoSplit) else
                       BatchStream(train, config.batch_size, config.seed, self.device, self.degrade))
        n_test = len(test) if not config.eval_limit else min(config.eval_limit, len(test))
        self._test_images = test.images[:n_test].to(self.device)  # (N, 28, 28) uint8
        self._test_labels = test.labels[:n_test].to(self.device)
        self._preview_idx = test.preview_indices(n_preview)
        self._preview_source = test.preview_source(self._preview_idx)
        self._preview_hr = test.hr(self._preview_idx, self.device)  # (P, 1, 28, 28)
        self._preview_labels = test.labels[self._preview_idx].to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        if optimizer_state is not None:
            load_optimizer_state(self.optimizer, optimizer_state)
        self.checkpoint_path = checkpoint_path
        self.step = start_step
        self.best_test_loss = best_test_loss
        self._callbacks: dict[str, list[Callback]] = defaultdict(list)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finish_early = threading.Event()  # an early stop (sr_core.monitor.early_stop): ends as "finished"
        self._eval_hooks: list[Callable[["Trainer", float], dict[str, Any]]] = []
        self._gen = torch.Generator(device=self.device)
        self._state: dict[str, Any] = {
            "status": RunStatus.READY, "step": start_step, "total_steps": config.steps, "start_step": start_step,
            "elapsed_s": 0.0, "img_s": 0.0, "avg_img_s": None, "total_s": None, "eta_s": None, "message": "", "notice": "", "train": [], "test": [],
            "alpha_changes": [s for s, _ in config.alpha_schedule[1:]], "preview": None,
            "best_test_loss": best_test_loss, "checkpoint_step": None,
        }

    # -------------------------------------------------------------- reporting
    def set_notice(self, text: str) -> None:
        """A one-line notice about how this run starts (e.g. a fresh optimizer), shown by the CLI and UI."""
        self._update(notice=text)

    def add_callback(self, event: str, fn: Callback) -> None:
        """Call ``fn(trainer, info)`` on ``event`` (one of :data:`EVENTS`)."""
        if event not in EVENTS:
            raise ValueError(f"unknown event '{event}'; choose one of: {', '.join(EVENTS)}")
        self._callbacks[event].append(fn)

    def _emit(self, event: str, info: dict[str, Any]) -> None:
        for fn in self._callbacks[event]:
            fn(self, info)

    def snapshot(self) -> TrainSnapshot:
        """A thread-safe copy of the trainer state (lists are copied, rows shared read-only)."""
        with self._lock:
            state = dict(self._state)
            state["train"] = list(self._state["train"])
            state["test"] = list(self._state["test"])
        return TrainSnapshot(**state)

    def _update(self, **values: Any) -> None:
        with self._lock:
            self._state.update(values)

    def add_eval_hook(self, fn: Callable[["Trainer", float], dict[str, Any]]) -> None:
        """``fn(trainer, alpha) -> {column: value}`` runs at each test evaluation (model in any mode; it
        must not touch the global RNG); its values join the test row (see :mod:`sr_core.monitor.attach`)."""
        self._eval_hooks.append(fn)

    def finish_early(self, reason: str) -> None:
        """End the run before the next batch as ``finished`` (early stopping); its checkpoint is saved."""
        self._update(message=reason)
        self._finish_early.set()

    def latest_preview(self) -> dict[str, Any] | None:
        """The preview of the latest test evaluation (see :meth:`preview`), or None."""
        with self._lock:
            return self._state["preview"]

    def request_stop(self, reason: str = "") -> None:
        """Ask the run to stop; honoured before the next batch starts (safe from a signal handler:
        it only sets an event, so the batch in flight finishes and weights and optimizer stay in step)."""
        if reason:
            self._update(message=reason)
        self._stop.set()

    # -------------------------------------------------------------- evaluation
    @torch.no_grad()
    def evaluate(self, alpha: float) -> dict[str, float]:
        """Test loss components at ``alpha`` over the test images (fixed noise seed, so curves are smooth)."""
        self.model.eval()
        gen = torch.Generator(device=self.device).manual_seed(eval_noise_seed(self.config.seed))
        sums: dict[str, float] = defaultdict(float)
        n = self._test_images.shape[0]
        for i in range(0, n, EVAL_BATCH):
            hr = to_float(self._test_images[i:i + EVAL_BATCH])  # (b, 1, 28, 28)
            lr = self.degrade(hr)
            labels = self._test_labels[i:i + EVAL_BATCH]
            out = self.model(hr, lr=lr, labels=labels, generator=gen)
            terms = self.model.loss(out, hr, lr, alpha=alpha, kl_weight=self.config.kl_weight, labels=labels)
            for k, v in terms.items():
                sums[k] += float(v) * hr.shape[0]
            if self.model.has_latent:  # the paper's premise (z ~ LR), tracked at every evaluation
                sums["latent_psnr"] += float(latent_lr_psnr(self.model, hr, lr).sum())
        self.model.train()
        return {k: v / n for k, v in sums.items()}

    @torch.no_grad()
    def preview(self) -> dict[str, Any]:
        """LR -> decoder-only SR -> HR for the fixed preview images, as float32 numpy (P, H, W) in [0, 1];
        models with a latent add ``z``, the encoder's latent sample of each HR image (P, 14, 14)."""
        self.model.eval()
        hr = self._preview_hr
        lr = self.degrade(hr)
        gen = torch.Generator(device=self.device).manual_seed(self.config.seed)
        sr = self.model.super_resolve(lr, labels=self._preview_labels, generator=gen)
        as_np = lambda t: t.squeeze(1).float().cpu().numpy()  # noqa: E731
        out = {"step": self.step, "indices": list(self._preview_idx), "lr": as_np(lr), "sr": as_np(sr),
               "hr": as_np(hr), "source": self._preview_source}
        if self.model.has_latent:  # the latent strip (LR | z) beside the SR strip
            out["z"] = as_np(self.model.encode(hr, generator=gen).z.clamp(0.0, 1.0))
        self.model.train()
        return out

    # -------------------------------------------------------------- checkpoints
    def save(self, final: bool = False) -> None:
        """Write a checkpoint of the current step (atomic); no-op without a checkpoint path.

        ``final`` (the run finished): the optimizer state is dropped unless ``config.keep_optimizer`` —
        it is only needed to continue a run, and it doubles the file (a stopped run keeps it)."""
        if not self.checkpoint_path:
            return
        self._emit("before_checkpoint", {"step": self.step})
        keep = not final or self.config.keep_optimizer
        save_checkpoint(self.checkpoint_path, self.model, train_config=self.config.to_dict(),
                        optimizer=self.optimizer if keep else None, step=self.step,
                        extra={"best_test_loss": self.best_test_loss})
        self._update(checkpoint_step=self.step)
        self._emit("on_checkpoint", {"step": self.step, "path": str(self.checkpoint_path)})

    # -------------------------------------------------------------- the loop
    def run(self) -> str:
        """Train from ``self.step`` to ``config.steps``; returns the final status.

        Statuses: ``finished``, ``stopped`` (stop requested; checkpoint saved), ``nan`` (non-finite loss;
        the last good checkpoint is kept, nothing is written), ``failed`` (an exception; re-raised).
        """
        cfg = self.config
        self.model.train()
        start_step = self.step
        t0 = time.perf_counter()
        meter = self._meter = RateMeter()  # the one images/s of a run: smoothed over seconds, and its average
        meter.update(0, t0)
        self._update(status=RunStatus.RUNNING)
        status = RunStatus.FINISHED
        try:
            if self.step == 0 or self.best_test_loss is None:
                self._record_eval(alpha_at(max(self.step - 1, 0), cfg.alpha_schedule), t0)
            while self.step < cfg.steps and not self._finish_early.is_set():
                if self._stop.is_set():
                    status = RunStatus.STOPPED
                    break
                step = self.step
                alpha = alpha_at(step, cfg.alpha_schedule)
                row = self._optimizer_step(step, alpha)
                if row is None:
                    status = RunStatus.NAN
                    break
                self.step = step + 1
                now = time.perf_counter()
                meter.update((self.step - start_step) * cfg.batch_size, now)
                img_s = meter.current() or 0.0
                row.update(step=self.step, split="train", alpha=alpha, lr=self.optimizer.param_groups[0]["lr"],
                           elapsed_s=now - t0, img_s=img_s)
                with self._lock:
                    self._state["train"].append(row)
                    self._state.update(step=self.step, elapsed_s=now - t0, img_s=img_s, avg_img_s=meter.average(),
                                       eta_s=meter.eta((cfg.steps - self.step) * cfg.batch_size))
                self._emit("on_step", row)
                if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
                    self._record_eval(alpha, t0)
                if self.step % cfg.checkpoint_every == 0 and self.step < cfg.steps:
                    self.save()
            if status in RESUMABLE_STATUSES:
                self.save(final=status == RunStatus.FINISHED)
        except Exception as exc:
            self._update(status=RunStatus.FAILED, message=f"{type(exc).__name__}: {exc}")
            self._emit("on_end", {"status": RunStatus.FAILED, "step": self.step, "message": str(exc)})
            raise
        meter.update((self.step - start_step) * cfg.batch_size, time.perf_counter())
        avg = meter.average()  # a run that ended reports its mean images/s over its wall time
        self._update(status=status, img_s=avg, avg_img_s=avg, total_s=meter.elapsed(), eta_s=0.0)
        self._emit("on_end", {"status": status, "step": self.step, "message": self._state["message"]})
        return status

    def _optimizer_step(self, step: int, alpha: float) -> dict[str, float] | None:
        """One optimizer step on batch ``step``: its loss terms as floats, or None (and a message that
        says what to do) when the loss is not finite, before anything is updated."""
        cfg = self.config
        hr, lr, labels = self.stream.batch(step)
        self._gen.manual_seed(step_noise_seed(cfg.seed, step))
        out = self.model(hr, lr=lr, labels=labels, generator=self._gen)
        terms = self.model.loss(out, hr, lr, alpha=alpha, kl_weight=cfg.kl_weight, labels=labels)
        values = torch.stack([t.detach().float() for t in terms.values()]).tolist()  # one sync
        row = dict(zip(list(terms), values))
        if not math.isfinite(row["total"]):
            self._update(message=f"loss became {row['total']} at step {step}; stopped and kept the "
                                 f"last good checkpoint — lower the learning rate and resume or retrain")
            return None
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        self.optimizer.zero_grad(set_to_none=True)
        terms["total"].backward()
        self.optimizer.step()
        return row

    def _record_eval(self, alpha: float, t0: float) -> None:
        test = self.evaluate(alpha)
        if not math.isfinite(test["total"]):
            return
        if self.best_test_loss is None or test["total"] < self.best_test_loss:
            self.best_test_loss = test["total"]
        for hook in self._eval_hooks:
            test.update(hook(self, alpha))
        row = dict(test, step=self.step, split="test", alpha=alpha, lr=self.optimizer.param_groups[0]["lr"],
                   elapsed_s=time.perf_counter() - t0, img_s=None)
        prev = self.preview()
        with self._lock:
            self._state["test"].append(row)
            self._state.update(preview=prev, best_test_loss=self.best_test_loss)
        self._emit("on_eval", row)
