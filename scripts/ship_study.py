"""Copy a finished sweep's results (sweep.json, summary.csv; no runs, no checkpoints) into assets/studies/.

    python scripts/ship_study.py alpha-ablation --runs-dir /tmp/study

The copy drops the machine-specific runs folder; the Sweeps page shows it without running anything.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sr_core.checkpoint import atomic_write_text  # noqa: E402
from sr_core.sweep_spec import read_state, sweep_dir  # noqa: E402
from sr_core.sweep_stats import summary_csv  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("name")
    p.add_argument("--runs-dir")
    p.add_argument("--dest", default=str(ROOT / "assets" / "studies"))
    args = p.parse_args(argv)
    state = read_state(sweep_dir(args.name, args.runs_dir))
    state["runs_dir"] = ""  # the trials' run folders are not shipped
    out = Path(args.dest) / state["spec"]["name"]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "sweep.json", json.dumps(state, indent=2, allow_nan=False))
    atomic_write_text(out / "summary.csv", summary_csv(state["summary"]))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
