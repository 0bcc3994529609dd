"""How long the CLI takes to start: the median of N process starts per command, next to a bare
``python -c pass`` measured in the same script (the reference), and what ``train`` pays before its
first batch (process start -> the first on_step callback, tiny preset, 2 batches), split into
``imports`` (torch and the trainer), ``run_ready`` (+ data loaded, model built, run folder made) and
``first_batch`` (+ the step-0 test evaluation and one batch); all cumulative from process start.

Last line, one JSON object: ``{"python_s", "commands": {cmd: median_s}, "ratio_to_python": {...},
"train_first_batch_s", "train_phases_s", "load_1min"}``. Target: ``list`` and ``models`` <= 1 s.

    python -m bench.cli_startup --repeats 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("--help", "models", "list", "sweep --list", "sweep --show alpha-ablation", "train --help")
FIRST_BATCH = """
import sys, time
t0 = float(sys.argv[1])
from sr_core.presets import preset_config
from sr_core.runs.jobs import prepare_run
t_import = time.time() - t0
trainer, run = prepare_run(preset_config("tiny", steps=2, eval_every=1000, eval_limit=10), runs_dir=sys.argv[2])
t_ready = time.time() - t0
trainer.add_callback("on_step", lambda t, row: print(t_import, t_ready, time.time() - t0) if row["step"] == 1 else None)
trainer.run()
"""


def median_start(argv: list[str], repeats: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True, timeout=120)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as runs:
        env = dict(os.environ, SR_RUNS_DIR=runs)
        py = median_start([sys.executable, "-c", "pass"], args.repeats, env)
        cmds = {c: median_start([sys.executable, "-m", "sr_core", *c.split()], args.repeats, env) for c in COMMANDS}
        for c, t in cmds.items():
            print(f"{c:<32}{t:6.2f} s", file=sys.stderr)
        out = subprocess.run([sys.executable, "-c", FIRST_BATCH, str(time.time()), runs], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True, timeout=600)
        t_import, t_ready, first = (float(x) for x in out.stdout.split()[-3:])
    print(json.dumps({"python_s": round(py, 3), "commands": {c: round(t, 3) for c, t in cmds.items()},
                      "ratio_to_python": {c: round(t / py, 1) for c, t in cmds.items()},
                      "train_first_batch_s": round(first, 2),
                      "train_phases_s": {"imports": round(t_import, 2), "run_ready": round(t_ready, 2),
                                         "first_batch": round(first, 2)},
                      "load_1min": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
