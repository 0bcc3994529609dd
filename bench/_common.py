"""What the benchmarks in ``bench/`` share: the data check, timing, turn taking between training loops
(:class:`Turns`), the peak matmul FLOP/s, model FLOP counts and the JSON report line. Nothing runs at
import time; the scripts import this as ``bench._common`` (the project is installed editable: requirements.txt).
"""
from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from sr_core.threads import start_daemon

ROOT = Path(__file__).resolve().parents[1]


def log(msg: str) -> None:
    """Progress goes to stderr; stdout holds the table and, last, the JSON line."""
    print(msg, file=sys.stderr, flush=True)


def fail(msg: str) -> None:
    """A bad argument or a missing prerequisite: one line on stderr, exit code 2 (as the CLI)."""
    log(f"error: {msg}")
    raise SystemExit(2)


def fashion_mnist_dir(data_dir: str | None) -> Path:
    """The data root holding Fashion-MNIST; exits with one line otherwise (a bench never downloads:
    it must not time or depend on the network)."""
    from sr_core.data import check_dataset, resolve_data_dir

    root = resolve_data_dir(data_dir).resolve()
    missing = check_dataset("fashion-mnist", root)
    if missing:
        fail(f"Fashion-MNIST is not in {root / 'FashionMNIST' / 'raw'} (missing {', '.join(missing)}); "
             f"point --data-dir or SR_DATA_DIR at the data root")
    return root


def fill_defaults(args: Any, defaults: dict[str, Any]) -> Any:
    """Give every option in ``defaults`` that the command line left unset (None) its default value."""
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def sync(device: Any) -> None:
    """Wait for queued work on ``device`` (no-op on CPU), so wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def clock() -> tuple[float, float]:
    """(wall clock, CPU time of this process), both in seconds."""
    return time.perf_counter(), time.process_time()


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def rotated(items: Sequence[Any], k: int) -> list[Any]:
    """``items`` rotated left by ``k``: round ``k`` of an interleaved benchmark runs them in this order."""
    k %= max(len(items), 1)
    return list(items[k:]) + list(items[:k])


class Turns:
    """Runs ``body(stepped)`` in a thread of its own; ``body`` calls ``stepped()`` after each training step
    and returns when it says False. ``chunk(n)`` lets the next n steps run and returns their (wall s,
    process CPU s); between chunks the thread waits inside ``stepped()``."""

    def __init__(self, name: str, body: Callable[[Callable[[], bool]], Any], device: Any, model: Any = None) -> None:
        self.name, self.device, self.model, self.error = name, device, model, None
        self._go, self._done = threading.Semaphore(0), threading.Semaphore(0)
        self._left, self._closing, self._ended = 0, False, False
        self._t0 = self._t1 = (0.0, 0.0)
        threads = torch.get_num_threads()  # the worker uses the caller's intra-op thread count

        def main() -> None:
            torch.set_num_threads(threads)
            self._go.acquire()
            self._t0 = clock()  # the first chunk (the warm-up) also times whatever body does first
            try:
                body(self.stepped)
            except BaseException as exc:  # handed to the main thread by chunk()
                self.error = exc
            finally:
                self._ended = True
                self._done.release()

        self._thread = start_daemon(main, f"bench-{name}")

    def stepped(self) -> bool:
        self._left -= 1
        if self._left > 0:
            return True
        sync(self.device)
        self._t1 = clock()
        self._done.release()   # chunk finished: hand over to the main thread and wait for the next turn
        self._go.acquire()
        self._t0 = clock()
        return not self._closing

    def chunk(self, n: int) -> tuple[float, float]:
        self._left = n
        self._go.release()
        self._done.acquire()
        if self._ended:
            raise RuntimeError(f"{self.name} ended before its turn was over") from self.error
        return self._t1[0] - self._t0[0], self._t1[1] - self._t0[1]

    def close(self) -> None:
        self._closing = True
        self._go.release()
        self._thread.join(120)


def matmul_flops_per_s(device: Any, n: int = 1024, min_time_s: float = 0.5) -> float:
    """Measured dense fp32 matmul throughput, (n x n) @ (n x n) in a loop, 2 n^3 FLOPs each: the ceiling
    the model's matmuls and convolutions could reach on this device and thread count right now."""
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, generator=g).to(device) for _ in range(2))
    c = torch.empty(n, n, device=device)
    for _ in range(3):  # warm-up: BLAS thread pool, cuBLAS handle, clocks
        torch.mm(a, b, out=c)
    sync(device)
    iters, chunk, t0 = 0, 1, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < min_time_s or iters == 0:
        for _ in range(chunk):
            torch.mm(a, b, out=c)
        sync(device)
        iters, chunk = iters + chunk, min(chunk * 2, 1024)
    return 2.0 * n ** 3 * iters / elapsed


def count_flops(fn: Callable[[], Any]) -> int:
    """Matmul and convolution FLOPs (forward and backward) that ``FlopCounterMode`` counts while ``fn()``
    runs: the usual "model FLOPs" of a FLOP-utilization figure (no elementwise ops, no optimizer)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def json_line(obj: Any) -> str:
    """The report as one line of strict JSON (inf/NaN become null: see ``sr_core.fs.json_safe``)."""
    from sr_core.fs import json_safe

    return json.dumps(json_safe(obj), allow_nan=False, separators=(", ", ": "))


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for a server a bench starts)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
