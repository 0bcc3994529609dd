"""Shipped checkpoints reproduce by command: the first batches of each shipped checkpoint's recorded
training (its config.json settings and seed, its torch thread count from train_time.json) are run again
through the project's training path and compared bit-for-bit with the shipped metrics.csv — the
step-0 test row and the first train rows, as the exact strings written, on the columns both files have
(timing columns aside)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from sr_core.cli.main import main
from sr_core.config import train_config_from_dict
from sr_core.runs.jobs import prepare_run
from sr_core.runs.shipped import SHIPPED_DIR

N_TRAIN = 3  # train rows compared (plus the step-0 test row)
TIMING = {"elapsed_s", "img_s"}
SHIPPED = sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / "metrics.csv").is_file())


def first_rows(path: Path, n_train: int = N_TRAIN) -> list[dict[str, str]]:
    """The step-0 test row and the first ``n_train`` train rows of a metrics.csv, as written."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    test0 = [r for r in rows if r["split"] == "test" and r["step"] == "0"][:1]
    return test0 + [r for r in rows if r["split"] == "train"][:n_train]


def compare(shipped: list[dict[str, str]], fresh: list[dict[str, str]]) -> list[str]:
    """Differences between two row lists on their common non-timing columns ([] = bit-identical)."""
    if len(shipped) != len(fresh):
        return [f"{len(shipped)} rows shipped, {len(fresh)} reproduced"]
    cols = (set(shipped[0]) & set(fresh[0])) - TIMING
    return [f"step {a['step']} {a['split']} {c}: shipped {a[c]} != reproduced {b[c]}"
            for a, b in zip(shipped, fresh) for c in sorted(cols) if a[c] != b[c]]


def recorded_threads(folder: Path) -> int:
    """The torch thread count a run folder was trained with: ``train_time.json`` (written by
    scripts/make_checkpoints.py for every shipped checkpoint), else 1."""
    path = folder / "train_time.json"
    return int(json.loads(path.read_text()).get("torch_threads", 1)) if path.is_file() else 1


def rerun_first_batches(folder: Path, runs: Path, n_train: int = N_TRAIN, threads: int | None = None,
                        **changes) -> list[dict[str, str]]:
    """Train the recorded config of ``folder`` (same steps, so schedules match; ``changes`` alter it, for
    the tests of this test) with its thread count and stop after ``n_train`` batches."""
    meta = json.loads((folder / "config.json").read_text())
    cfg = train_config_from_dict(dict(meta["train"], device="cpu", **changes))
    threads = recorded_threads(folder) if threads is None else threads
    old = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        trainer, run = prepare_run(cfg, runs_dir=runs, name=folder.name)
        trainer.add_callback("on_step", lambda t, row: t.request_stop() if row["step"] >= n_train else None)
        trainer.run()
    finally:
        torch.set_num_threads(old)
    return first_rows(run.metrics_path, n_train)


def test_compare_finds_a_changed_digit_and_ignores_timing() -> None:
    a = [{"step": "0", "split": "test", "total": "0.5", "elapsed_s": "1.0"}]
    assert compare(a, [dict(a[0], elapsed_s="9.0")]) == []
    assert compare(a, [dict(a[0], total="0.50000001")]) != []


def test_compare_on_a_run_trained_now_by_the_cli(data_dir: Path, tmp_path: Path) -> None:
    """The comparison itself, on a folder `python -m sr_core train` (its ``main``, one torch thread) wrote
    a moment ago: its first rows reproduce exactly, and the same config with another seed is told apart."""
    argv = ["train", "--preset", "tiny", "--steps", "6", "--eval-every", "3", "--eval-limit", "100", "--seed", "3",
            "--runs-dir", str(tmp_path / "cli"), "--name", "fresh", "--no-progress"]
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(argv) == 0  # the CLI's own entry point, in this process (no interpreter start-up to wait for)
    finally:
        torch.set_num_threads(old)
    fresh = tmp_path / "cli" / "fresh"
    shipped = first_rows(fresh / "metrics.csv")
    assert [(r["step"], r["split"]) for r in shipped] == [("0", "test"), ("1", "train"), ("2", "train"), ("3", "train")]
    assert compare(shipped, rerun_first_batches(fresh, tmp_path / "a", threads=1)) == []
    other = compare(shipped, rerun_first_batches(fresh, tmp_path / "b", threads=1, seed=4))
    assert any(d.startswith("step 0 test total") for d in other), other


@pytest.mark.parametrize("model", SHIPPED)
def test_shipped_checkpoint_reproduces_from_its_command(model: str, data_dir: Path, tmp_path: Path) -> None:
    folder = SHIPPED_DIR / model
    diffs = compare(first_rows(folder / "metrics.csv"), rerun_first_batches(folder, tmp_path))
    assert not diffs, f"{model} does not reproduce from its command: " + "; ".join(diffs[:4])
