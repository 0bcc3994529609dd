"""Copy a finished sweep's results (sweep.json, summary.csv; no runs, no checkpoints) into assets/studies/.

    python scripts/ship_study.py alpha-ablation --runs-dir /tmp/study

The copy drops the machine-specific runs folder; the Sweeps page shows it without running anything.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from sr_core.fs import atomic_write_text
from sr_core.sweeps.spec import read_state, sweep_dir
from sr_core.sweeps.stats import summary_csv


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name")
    p.add_argument("--runs-dir")
    p.add_argument("--dest", default=str(ROOT / "assets" / "studies"))
    args = p.parse_args(argv)
    state = read_state(sweep_dir(args.name, args.runs_dir))
    state["runs_dir"] = ""  # the trials' run folders are not shipped
    for t in state["trials"]:  # a snapshot of a sweep still running: what had not finished is pending
        if t["status"] == "running":
            t["status"] = "pending"
    if any(t["status"] == "pending" for t in state["trials"]):
        state["status"] = "stopped"
    out = Path(args.dest) / state["spec"]["name"]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "sweep.json", json.dumps(state, indent=2, allow_nan=False))
    atomic_write_text(out / "summary.csv", summary_csv(state["summary"]))
    print(markdown_table(state))
    print(out)
    return 0


def _cell(e: dict, d: int, paired: bool = False) -> str:
    if paired:
        p = e.get("paired") or {}
        if p.get("mean") is None:
            return "–"
        lo, hi = p.get("ci_low"), p.get("ci_high")
        ci = f" [{lo:+.{d}f}, {hi:+.{d}f}]" if lo is not None else ""
        return f"{p['mean']:+.{d}f}{ci}"
    if e.get("mean") is None:
        return "–"
    half = e.get("ci_half")
    return f"{e['mean']:.{d}f}" + (f" ± {half:.{d}f}" if half is not None else "")


def markdown_table(state: dict) -> str:
    """The README's table: per setting n, mean ± 95 % CI half-width, paired difference vs the reference."""
    lines = ["| α schedule | seeds | SR PSNR dB | Δ PSNR vs reference [95 % CI] | SR SSIM | Δ SSIM vs reference "
             "[95 % CI] | LR-PSNR dB | final test loss |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in state["summary"]:
        m = r["metrics"]
        ref = "(reference)" if r["reference"] else None
        lines.append(f"| `{r['label']}` | {r['n_finished']} | {_cell(m.get('sr_psnr', {}), 2)} | "
                     f"{ref or _cell(m.get('sr_psnr', {}), 2, True)} | {_cell(m.get('sr_ssim', {}), 3)} | "
                     f"{ref or _cell(m.get('sr_ssim', {}), 3, True)} | {_cell(m.get('lr_psnr', {}), 2)} | "
                     f"{_cell(m.get('test_loss', {}), 3)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
