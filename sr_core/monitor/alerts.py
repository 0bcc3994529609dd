"""Alerts about a run going wrong, from its test rows and status: shown as banners (Train, Runs) and
as lines by the CLI.

- ``nan``: the loss became NaN/inf (the trainer stopped; its message says what to do);
- ``rising``: the test loss rose for :data:`RISING_K` evaluations in a row at one alpha (a change of
  alpha changes what the loss weighs, so a jump across it is not counted);
- ``below_bicubic``: after the warm-up (the first :data:`WARMUP` of the steps), decoder-only SR PSNR
  on the quality subset (:mod:`sr_core.monitor.quality`) is below bicubic's on the same images.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Sequence

from sr_core.runs.status import RunStatus

RISING_K = 3
WARMUP = 0.2


@dataclass(frozen=True)
class Alert:
    kind: str   # "nan", "rising" or "below_bicubic"
    text: str   # one line


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def rising_run(test: Sequence[dict[str, Any]]) -> int:
    """How many evaluations in a row, ending at the last one, the test loss rose (at one alpha)."""
    n = 0
    for a, b in zip(reversed(test[:-1]), reversed(test[1:])):
        if not (_finite(a.get("total")) and _finite(b.get("total"))) or a.get("alpha") != b.get("alpha"):
            break
        if b["total"] <= a["total"]:
            break
        n += 1
    return n


def run_alerts(test: Sequence[dict[str, Any]], *, status: str | None = None, message: str = "",
               total_steps: int | None = None, rising_k: int = RISING_K, warmup: float = WARMUP) -> list[Alert]:
    """The alerts that hold now for a run with test rows ``test`` (metrics rows, in step order)."""
    out: list[Alert] = []
    if status == RunStatus.NAN or any(r.get("total") is not None and not _finite(r["total"]) for r in test):
        out.append(Alert("nan", "The loss became NaN/inf: " + (message or "training stopped; lower the learning "
                                                                          "rate and resume or retrain")))
    k = rising_run(test)
    if k >= rising_k:
        a, b = test[-1 - k], test[-1]
        out.append(Alert("rising", f"Test loss rose for {k} evaluations in a row (step {a['step']} → {b['step']}: "
                                   f"{a['total']:.4f} → {b['total']:.4f}); the run may be diverging — a lower "
                                   f"learning rate, or best.pt of an early-stopped run"))
    q = [r for r in test if _finite(r.get("sr_psnr")) and _finite(r.get("bicubic_psnr"))]
    if q and total_steps and q[-1]["step"] >= warmup * total_steps and q[-1]["step"] > 0 \
            and q[-1]["sr_psnr"] < q[-1]["bicubic_psnr"]:
        r = q[-1]
        out.append(Alert("below_bicubic", f"At step {r['step']} (past the first {warmup:.0%} of the steps) the "
                                          f"model's SR PSNR {r['sr_psnr']:.2f} dB is below bicubic's "
                                          f"{r['bicubic_psnr']:.2f} dB on the same test images: it does not "
                                          f"beat interpolation yet"))
    return out


def alert_printer(write: Any = None) -> Any:
    """An ``on_eval`` trainer callback printing each new alert once as ``alert: …`` (``write``: a
    function taking a line, e.g. tqdm's ``write``; default stderr)."""
    tests: list[dict[str, Any]] = []
    said: set[str] = set()

    def on_eval(trainer: Any, row: dict[str, Any]) -> None:
        tests.append(row)
        for a in run_alerts(tests, total_steps=trainer.config.steps):
            if a.kind not in said:
                said.add(a.kind)
                (write or (lambda s: print(s, file=sys.stderr)))(f"alert: {a.text}")
    return on_eval
