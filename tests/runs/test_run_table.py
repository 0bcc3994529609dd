"""The run table (sr_core.runs.table) and the pages' formatting of it (ui.run_tables): one row type
for Home, the Runs page and `python -m sr_core list`."""
from __future__ import annotations

import json
from pathlib import Path

from sr_core.runs import store as runs
from sr_core.runs.table import RunRow, rows_from, run_rows
from ui.labels import SHORT_PROTOCOL
from ui.run_tables import home_runs_table, runs_table, shipped_caption, shipped_table


def test_rows_hold_runs_newest_first_then_shipped(runs_dir: Path) -> None:
    runs.create_run({"model": "cnn-vae", "steps": 5, "preset": "tiny"}, name="good")
    bad = runs_dir / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    rows = run_rows()
    own = [r for r in rows if not r.shipped]
    assert {r.name for r in own} == {"good", "bad"} and all(isinstance(r, RunRow) for r in rows)
    assert rows[:len(own)] == own, "run folders come before the shipped checkpoints"
    good, broken = (next(r for r in own if r.name == n) for n in ("good", "bad"))
    assert good.usable and (good.model, good.preset, good.step, good.total_steps) == ("cnn-vae", "tiny", 0, 5)
    assert not broken.usable and "unreadable" in broken.error and broken.model == "?"
    shipped = [r for r in rows if r.shipped]
    assert {r.name for r in shipped} >= {"cnn-vae", "resnet-sr"} and all(r.status == "shipped" for r in shipped)
    assert run_rows(shipped=False) == own


def test_rows_from_keeps_known_fields_and_defaults() -> None:
    (row,) = rows_from([{"name": "a", "path": "/x", "error": "", "psnr": None, "writer_pid": 7, "step": 3}])
    assert (row.name, row.step, row.psnr, row.model, row.shipped) == ("a", 3, None, "?", False)


def test_page_tables_format_the_same_rows() -> None:
    run = RunRow(name="r1", path="/r1", model="cnn-vae", status="finished", step=20, total_steps=20,
                 best_test_loss=0.28765, psnr=19.213, has_checkpoint=True)
    broken = RunRow(name="r2", path="/r2", error="config.json is unreadable")
    assert home_runs_table([run]) == [{"Run": "r1", "Model": "cnn-vae", "Trained on": "Fashion-MNIST",
                                       "Status": "finished", "Steps": "20 / 20", "Checkpoint": "yes"}]
    full = runs_table([run, broken])
    assert full[0]["Best test loss"] == "0.2877" and full[0]["PSNR (dB)"] == "19.21" and full[0]["Error"] == ""
    assert full[1]["Status"] == "broken" and full[1]["Steps"] == "–" and full[1]["Error"].startswith("config")
    assert full[0]["Trained on"] == "Fashion-MNIST" and full[1]["Trained on"] == "–"
    ship = RunRow(name="resnet-sr", path="/s", model="resnet-sr", status="shipped", step=16000, psnr=26.08,
                  ssim=0.9321, train_s=1168.0, n_eval_images=10000, shipped=True)
    assert shipped_table([ship])[0] == {"Shipped checkpoint": "resnet-sr", "Model": "resnet-sr",
                                        "Trained on": "Fashion-MNIST", "Preset": "–", "Steps": "16000",
                                        "PSNR (dB)": "26.08", "SSIM": "0.932", "Held-out photos Y-PSNR (dB)": "–",
                                        "Train time": "19.5 min"}
    caption = shipped_caption([ship])
    assert "10,000 Fashion-MNIST test images" in caption and SHORT_PROTOCOL in caption


def test_cli_list_json_is_the_run_summaries(runs_dir: Path, capsys) -> None:
    from sr_core.cli.main import main

    runs.create_run({"model": "cnn-vae", "steps": 5}, name="good")
    assert main(["list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "good" and row["model"] == "cnn-vae" and row["error"] == ""
