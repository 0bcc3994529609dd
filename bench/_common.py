"""Helpers shared by the benchmarks in ``bench/``: timing, peak matmul FLOP/s, model FLOP counts.

Nothing here runs at import time. Import as ``bench._common`` (the benchmark scripts put the project
root on ``sys.path`` inside their ``main()``).
"""
from __future__ import annotations

import json
import statistics
import time
from typing import Any, Callable, Sequence

import torch


def sync(device: torch.device) -> None:
    """Wait for queued work on ``device`` (no-op on CPU), so wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def rotated(items: Sequence[Any], k: int) -> list[Any]:
    """``items`` rotated left by ``k``: round ``k`` of an interleaved benchmark runs them in this order."""
    k %= max(len(items), 1)
    return list(items[k:]) + list(items[:k])


def matmul_flops_per_s(device: torch.device, n: int = 1024, min_time_s: float = 0.5,
                       dtype: torch.dtype = torch.float32) -> float:
    """Measured dense matmul throughput: a loop of (n x n) @ (n x n) ``dtype`` products, 2 n^3 FLOPs each.

    Uses the same device and the same torch thread count as the caller, so it is the ceiling the
    model's matmuls and convolutions could reach on this machine right now.
    """
    g = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(n, n, generator=g, dtype=dtype).to(device)
    b = torch.randn(n, n, generator=g, dtype=dtype).to(device)
    c = torch.empty(n, n, dtype=dtype, device=device)
    for _ in range(3):  # warm-up: BLAS thread pool, cuBLAS handle, clocks
        torch.mm(a, b, out=c)
    sync(device)
    iters, chunk = 0, 1
    t0 = time.perf_counter()
    elapsed = 0.0
    while elapsed < min_time_s:
        for _ in range(chunk):
            torch.mm(a, b, out=c)
        sync(device)
        iters += chunk
        elapsed = time.perf_counter() - t0
        chunk = min(chunk * 2, 1024)
    return 2.0 * n ** 3 * iters / elapsed


def count_flops(fn: Callable[[], Any]) -> int:
    """FLOPs that ``torch.utils.flop_counter.FlopCounterMode`` counts while ``fn()`` runs.

    FlopCounterMode counts matmuls and convolutions (forward and backward), not elementwise ops,
    losses or optimizer updates: the usual "model FLOPs" of a FLOP-utilization figure.
    """
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def json_line(obj: Any) -> str:
    """One line of JSON (no NaN/Infinity: those are not JSON)."""
    return json.dumps(obj, allow_nan=False, separators=(", ", ": "))
