"""The three training loops that bench/train_throughput.py times against each other (see its docstring).

``TrainerRunner`` drives :class:`sr_core.trainer.Trainer` paused inside its ``on_step`` callback;
``BareRunner`` is the minimal PyTorch loop on the same batches and weights; ``DataLoaderRunner`` is the
torchvision ``DataLoader`` + ``ToTensor`` pipeline. ``InThread`` runs a loop in a thread of its own so
all three are woken for their turns alike. Imported by the script after it has put the project root on
``sys.path``.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any

TRAINER_EVAL_LIMIT = 1000  # the Trainer's one pre-loop evaluation (outside the clock) on 1,000 test images


@dataclass
class Case:
    """One preset, prepared once and shared by every round and method."""

    preset: str
    cfg: Any                    # the preset's TrainConfig, bench overrides applied
    init_state: dict[str, Any]  # initial weights: every method starts from the same model
    idx_batches: list[Any]      # (B,) int64 index tensors on the device, steps 0 .. warmup+steps-1
    alphas: list[float]         # alpha of each step, from the preset's schedule
    flops_per_image: float = 0.0


def new_model(case: Case, device: Any) -> Any:
    from sr_core.models import build_model

    model = build_model(case.cfg.model, case.cfg.model_config)
    model.load_state_dict(case.init_state)
    return model.to(device)


def prepare_case(preset: str, n_train: int, total_steps: int, device: Any) -> Case:
    import torch
    from sr_core.config import preset_config
    from sr_core.data import batch_indices
    from sr_core.losses import alpha_at
    from sr_core.models import build_model

    beyond = total_steps + 2
    # steps = total + 1: TrainerRunner stops the Trainer after step `total`, before the evaluation the
    # Trainer runs after its final step; the eval and checkpoint intervals lie beyond the run.
    cfg = preset_config(preset, steps=total_steps + 1, eval_every=beyond, checkpoint_every=beyond,
                        eval_limit=TRAINER_EVAL_LIMIT, device="cpu" if device.type == "cpu" else str(device))
    cfg.validate()
    torch.manual_seed(cfg.seed)
    init_state = copy.deepcopy(build_model(cfg.model, cfg.model_config).state_dict())
    idx = [batch_indices(n_train, cfg.batch_size, s, cfg.seed).to(device) for s in range(total_steps)]
    alphas = [alpha_at(s, cfg.alpha_schedule) for s in range(total_steps)]
    return Case(preset, cfg, init_state, idx, alphas)


def count_train_flops_per_image(case: Case, images: Any, labels: Any, device: Any) -> float:
    """Matmul/conv FLOPs of one forward + loss + backward of one batch, per image."""
    import torch
    from bench._common import count_flops
    from sr_core.data import get_degradation

    cfg = case.cfg
    model = new_model(case, device).train()
    degrade = get_degradation(cfg.degradation)
    idx = case.idx_batches[0]
    hr = images[idx].unsqueeze(1).float().div_(255.0)
    lr = degrade(hr)
    y = labels[idx]
    gen = torch.Generator(device=device).manual_seed(cfg.seed * 1_000_003)

    def step() -> None:
        out = model(hr, lr=lr, labels=y, generator=gen)
        model.loss(out, hr, lr, alpha=case.alphas[0], kl_weight=cfg.kl_weight, labels=y)["total"].backward()

    return count_flops(step) / hr.shape[0]


# ---------------------------------------------------------------- the three measurements
# Each runner keeps its model, optimizer and data position between rounds; ``chunk(n)`` trains the
# next n steps and returns (wall-clock seconds, process CPU seconds), the device synchronized at both ends.

class TrainerRunner:
    """The sr_core Trainer, run in its own thread (as :class:`sr_core.jobs.TrainJob` does) and paused
    between rounds inside its ``on_step`` callback, so one Trainer run is interleaved with the others.

    The clock starts when the callback of step k returns and stops in the callback of step k + n:
    exactly n iterations of the Trainer's loop, bookkeeping, snapshot lock and callback dispatch included.
    """

    def __init__(self, case: Case, train: Any, test: Any, device: Any, total_steps: int) -> None:

        import torch
        from sr_core.trainer import Trainer

        self.case, self.device, self.final = case, device, total_steps
        # config.steps = total + 1 and a stop request after step `total`: the Trainer never reaches the
        # evaluation it runs after its final step; eval/checkpoint intervals lie beyond the run.
        self.trainer = Trainer(new_model(case, device), case.cfg, train, test, checkpoint_path=None, device=device)
        self.trainer.add_callback("on_step", self._on_step)
        self._go, self._done = threading.Semaphore(0), threading.Semaphore(0)
        self._target, self._t0, self._t1 = 0, (0.0, 0.0), (0.0, 0.0)
        self._error: BaseException | None = None
        self.status: str | None = None
        self._threads = torch.get_num_threads()  # the worker thread uses the same intra-op count
        self._thread = threading.Thread(target=self._main, name=f"bench-trainer-{case.preset}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        import torch

        torch.set_num_threads(self._threads)
        self._go.acquire()
        self._t0 = _clock()  # the first chunk (the warm-up) also times the pre-loop evaluation
        try:
            self.status = self.trainer.run()
        except BaseException as exc:  # handed to the main thread by chunk()
            self._error = exc
        finally:
            self._done.release()

    def _on_step(self, trainer: Any, row: dict[str, Any]) -> None:
        if trainer.step < self._target:
            return
        _sync(self.device)
        self._t1 = _clock()
        if trainer.step >= self.final:
            trainer.request_stop()  # honoured before the next batch: run() returns, _main signals
            return
        self._done.release()   # chunk finished: hand over to the main thread ...
        self._go.acquire()     # ... and wait for the next chunk
        self._t0 = _clock()

    def chunk(self, n: int) -> tuple[float, float]:
        self._target += n
        self._go.release()
        self._done.acquire()
        step = self.trainer.step
        if self._error is not None or step != self._target:
            snap = self.trainer.snapshot()
            raise RuntimeError(f"{self.case.preset}: the Trainer stopped at step {step} of {self._target} "
                               f"(status {snap['status']}: {snap['message']})") from self._error
        return self._t1[0] - self._t0[0], self._t1[1] - self._t0[1]


class BareRunner:
    """The minimal loop: same model init, same index batches, same Adam, same model.loss, same re-seeding."""

    def __init__(self, case: Case, images: Any, labels: Any, device: Any) -> None:
        import torch
        from sr_core.data import get_degradation

        self.case, self.images, self.labels, self.device = case, images, labels, device
        self.model = new_model(case, device).train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=case.cfg.lr)
        self.degrade = get_degradation(case.cfg.degradation)
        self.gen = torch.Generator(device=device)
        self.step = 0

    def chunk(self, n: int) -> tuple[float, float]:
        model, opt, degrade, gen = self.model, self.opt, self.degrade, self.gen
        images, labels, idx_batches, alphas = self.images, self.labels, self.case.idx_batches, self.case.alphas
        kl_weight, seed_base = self.case.cfg.kl_weight, self.case.cfg.seed * 1_000_003
        first = self.step
        _sync(self.device)
        t0 = _clock()
        for s in range(first, first + n):
            idx = idx_batches[s]
            hr = images[idx].unsqueeze(1).float().div_(255.0)  # (B, 1, 28, 28)
            lr = degrade(hr)                                     # (B, 1, 14, 14)
            y = labels[idx]
            gen.manual_seed(seed_base + s)  # the Trainer's per-step re-seed: work the model's forward needs
            out = model(hr, lr=lr, labels=y, generator=gen)
            loss = model.loss(out, hr, lr, alpha=alphas[s], kl_weight=kl_weight, labels=y)["total"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        _sync(self.device)
        t1 = _clock()
        self.step = first + n
        return t1[0] - t0[0], t1[1] - t0[1]


class DataLoaderRunner:
    """torchvision FashionMNIST + ToTensor + DataLoader(batch 100, shuffle, num_workers=0); else as bare."""

    def __init__(self, case: Case, dataset: Any, device: Any) -> None:
        import torch
        from torch.utils.data import DataLoader
        from sr_core.data import get_degradation

        self.case, self.device = case, device
        self.model = new_model(case, device).train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=case.cfg.lr)
        self.degrade = get_degradation(case.cfg.degradation)
        self.gen = torch.Generator(device=device)
        self.loader = DataLoader(dataset, batch_size=case.cfg.batch_size, shuffle=True, num_workers=0,
                                 drop_last=True, generator=torch.Generator().manual_seed(case.cfg.seed))
        self.batches = iter(self.loader)
        self.step = 0

    def chunk(self, n: int) -> tuple[float, float]:
        model, opt, degrade, gen, device = self.model, self.opt, self.degrade, self.gen, self.device
        alphas, kl_weight = self.case.alphas, self.case.cfg.kl_weight
        seed_base = self.case.cfg.seed * 1_000_003
        first = self.step
        _sync(device)
        t0 = _clock()
        for s in range(first, first + n):
            try:
                x, y = next(self.batches)
            except StopIteration:  # next epoch
                self.batches = iter(self.loader)
                x, y = next(self.batches)
            hr = x.to(device, non_blocking=True)  # (B, 1, 28, 28) float in [0, 1] from ToTensor
            y = y.to(device, non_blocking=True)
            lr = degrade(hr)
            gen.manual_seed(seed_base + s)
            out = model(hr, lr=lr, labels=y, generator=gen)
            loss = model.loss(out, hr, lr, alpha=alphas[s], kl_weight=kl_weight, labels=y)["total"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        _sync(device)
        t1 = _clock()
        self.step = first + n
        return t1[0] - t0[0], t1[1] - t0[1]


class InThread:
    """Runs another runner's chunks in a thread of its own, so every method runs as the Trainer does:
    in its own thread, woken for each turn (the main thread only hands out turns)."""

    def __init__(self, inner: Any, name: str) -> None:

        import torch

        self.inner = inner
        self._go, self._done = threading.Semaphore(0), threading.Semaphore(0)
        self._n = 0
        self._result: tuple[float, float] = (0.0, 0.0)
        self._error: BaseException | None = None
        self._threads = torch.get_num_threads()
        threading.Thread(target=self._main, name=name, daemon=True).start()

    def _main(self) -> None:
        import torch

        torch.set_num_threads(self._threads)
        while True:
            self._go.acquire()
            if self._n == 0:  # close()
                return
            try:
                self._result = self.inner.chunk(self._n)
            except BaseException as exc:  # handed to the main thread by chunk()
                self._error = exc
            finally:
                self._done.release()

    def chunk(self, n: int) -> tuple[float, float]:
        self._n = n
        self._go.release()
        self._done.acquire()
        if self._error is not None:
            raise self._error
        return self._result

    def close(self) -> None:
        self._n = 0
        self._go.release()


def _clock() -> tuple[float, float]:
    """(wall clock, CPU time of this process). Only one method runs at a time and the others' threads
    are blocked, so a chunk's process CPU time is that method's CPU cost, whatever else the machine runs."""
    return time.perf_counter(), time.process_time()


def _sync(device: Any) -> None:
    from bench._common import sync
    sync(device)


def weight_diff(a: Any, b: Any) -> float:
    """Largest absolute difference between the parameters of two models of the same architecture."""
    import torch

    with torch.no_grad():
        return max(float((p - q).abs().max()) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
