"""Statistics of a sweep: mean, standard deviation and Student-t confidence intervals over seeds.

Per setting and metric over its n finished seeds: the mean, the sample standard deviation (n - 1 in
the denominator) and the 95 % CI ``mean ± t(0.975, n-1) · std / sqrt(n)``. The paired comparison
against a reference setting uses only the seeds both finished: the per-seed differences
``d_s = x_s − ref_s`` give ``mean(d) ± t(0.975, n-1) · std(d) / sqrt(n)`` — same seed, same initial
weights and batches, so the seed-to-seed spread that both share cancels. With n = 1 there is no
spread estimate: std and CI are None (shown as "-"), never a made-up zero.

The t quantile is computed here (scipy is not a dependency): the t CDF through the regularized
incomplete beta function (continued fraction, Numerical Recipes §6.4), inverted by bisection.
"""
from __future__ import annotations

import csv
import io
import math
from typing import Any, Sequence

from sr_core.fs import atomic_write_text
from sr_core.runs.status import TrialStatus

CONFIDENCE = 0.95
# (key in a trial's metrics, label, higher is better)
METRICS: tuple[tuple[str, str, bool], ...] = (
    ("sr_psnr", "SR PSNR dB", True), ("sr_ssim", "SR SSIM", True), ("lr_psnr", "LR-PSNR dB", True),
    ("recon_psnr", "recon PSNR dB", True), ("test_loss", "final test loss", False),
)
PROTOCOL_NOTE = ("per trial: decoder-only SR PSNR/SSIM per image on the HR test images (data range 1, no border "
                 "crop, mean over the set), LR-PSNR = SR downscaled vs LR input, final test loss at the trial's "
                 "own alpha; per setting: mean ± 95 % Student-t CI over seeds; paired: mean difference vs the "
                 "reference setting over the seeds both finished")


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))  # P(T > |t|)
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` > 0 degrees of freedom (e.g. t(0.975, 4) = 2.776)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0 (got p={p}, df={df})")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if df == 1:
        return math.tan(math.pi * (p - 0.5))  # Cauchy: exact
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:  # bracket, then bisect (the CDF is monotone)
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def describe(values: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, Any]:
    """n, mean, std (n-1), half-width and bounds of the Student-t CI of the mean; None where undefined."""
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(xs)
    out: dict[str, Any] = {"n": n, "mean": None, "std": None, "ci_half": None, "ci_low": None, "ci_high": None}
    if n == 0:
        return out
    mean = math.fsum(xs) / n
    out["mean"] = mean
    if n >= 2:
        std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
        half = t_quantile(0.5 + confidence / 2.0, n - 1) * std / math.sqrt(n)
        out.update(std=std, ci_half=half, ci_low=mean - half, ci_high=mean + half)
    return out


def _values(trials: list[dict[str, Any]], setting: int, metric: str) -> dict[int, float]:
    """{seed: value} of one metric over the finished trials of one setting."""
    out = {}
    for t in trials:
        v = (t.get("metrics") or {}).get(metric)
        if t["setting"] == setting and t["status"] == TrialStatus.FINISHED and v is not None and math.isfinite(v):
            out[int(t["seed"])] = float(v)
    return out


def summarize(trials: list[dict[str, Any]], labels: list[str], reference: int = 0) -> list[dict[str, Any]]:
    """One dict per setting: label, counts, and per metric the description and the paired difference.

    ``trials``: the ``trials`` list of ``sweep.json`` (setting, seed, status, metrics).
    """
    rows = []
    for k, label in enumerate(labels):
        mine = [t for t in trials if t["setting"] == k]
        row: dict[str, Any] = {"setting": k, "label": label, "reference": k == reference,
                               "n_finished": sum(t["status"] == TrialStatus.FINISHED for t in mine),
                               "n_failed": sum(t["status"] == TrialStatus.FAILED for t in mine), "metrics": {}}
        for metric, _, _ in METRICS:
            vals = _values(trials, k, metric)
            if not vals:
                continue
            entry = describe(list(vals.values()))
            entry["per_seed"] = {str(s): v for s, v in sorted(vals.items())}
            if k != reference:
                ref = _values(trials, reference, metric)
                common = sorted(set(vals) & set(ref))
                diff = describe([vals[s] - ref[s] for s in common])
                entry["paired"] = {"n": diff["n"], "mean": diff["mean"], "ci_low": diff["ci_low"],
                                   "ci_high": diff["ci_high"]}
            row["metrics"][metric] = entry
        rows.append(row)
    return rows


CSV_STATS = ("mean", "std", "ci_low", "ci_high")


def summary_csv(rows: list[dict[str, Any]]) -> str:
    """``summary.csv``: one line per setting; per metric mean, std, CI bounds, paired diff and its CI."""
    header = ["setting", "label", "reference", "n_finished", "n_failed"]
    for metric, _, _ in METRICS:
        header += [f"{metric}_{s}" for s in CSV_STATS]
        header += [f"{metric}_diff_vs_ref", f"{metric}_diff_ci_low", f"{metric}_diff_ci_high"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        line: list[Any] = [r["setting"] + 1, r["label"], int(r["reference"]), r["n_finished"], r["n_failed"]]
        for metric, _, _ in METRICS:
            e = r["metrics"].get(metric, {})
            p = e.get("paired", {})
            line += [_cell(e.get(s)) for s in CSV_STATS]
            line += [_cell(p.get("mean")), _cell(p.get("ci_low")), _cell(p.get("ci_high"))]
        w.writerow(line)
    return buf.getvalue()


def _cell(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def write_summary_csv(path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(path, summary_csv(rows))


def _fmt(v: float | None, digits: int) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def format_table(rows: list[dict[str, Any]], metrics: Sequence[str] = ("sr_psnr", "sr_ssim", "test_loss")) -> str:
    """The ``sweep --show`` table: per setting n, mean ± CI half-width, paired diff [CI] vs the reference."""
    digits = {"sr_ssim": 4, "test_loss": 4}
    names = dict((m, label) for m, label, _ in METRICS)
    width = max([len(r["label"]) for r in rows] + [7]) + 2
    head = f"{'#':>3}  {'setting':<{width}}{'n':>4}"
    for m in metrics:
        head += f"  {names[m] + ' mean ± 95% CI':>26}  {'paired diff [95% CI]':>28}"
    lines = [head]
    for r in rows:
        line = f"{r['setting'] + 1:>3}  {r['label']:<{width}}{r['n_finished']:>2}/{r['n_finished'] + r['n_failed']:<1}"
        for m in metrics:
            e = r["metrics"].get(m, {})
            d = digits.get(m, 2)
            cell = f"{_fmt(e.get('mean'), d)} ± {_fmt(e.get('ci_half'), d)}"
            p = e.get("paired")
            if r["reference"]:
                pc = "reference"
            elif p and p.get("mean") is not None:
                pc = f"{p['mean']:+.{d}f} [{_fmt(p['ci_low'], d)}, {_fmt(p['ci_high'], d)}]"
            else:
                pc = "-"
            line += f"  {cell:>26}  {pc:>28}"
        lines.append(line)
    return "\n".join(lines)
