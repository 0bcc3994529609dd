"""Run folders: sanitized names, no overwriting, listing with broken runs, delete."""
from __future__ import annotations

from pathlib import Path

import pytest

from sr_core.runs import listing as run_list

from sr_core.runs import store as runs
from sr_core.errors import UserError


@pytest.mark.parametrize("raw,clean", [("my run", "my-run"), ("../../etc/passwd", "etc-passwd"),
                                       ("a/b\\c", "a-b-c"), (".hidden", "hidden"), ("ok_name-1.2", "ok_name-1.2")])
def test_sanitize(raw: str, clean: str) -> None:
    assert runs.sanitize_name(raw) == clean


@pytest.mark.parametrize("raw", ["", "...", "///", "  "])
def test_sanitize_refuses_empty(raw: str) -> None:
    with pytest.raises(UserError):
        runs.sanitize_name(raw)


def test_run_stays_inside_root_and_never_overwrites(runs_dir: Path) -> None:
    r = runs.create_run({"model": "cnn-vae", "steps": 5}, name="../escape")
    assert r.path.parent == runs_dir and r.name == "escape"
    with pytest.raises(UserError, match="already exists"):
        runs.create_run({"model": "cnn-vae"}, name="escape")
    a = runs.create_run({"model": "cnn-vae"})
    b = runs.create_run({"model": "cnn-vae"})
    assert a.path != b.path
    cfg = a.config()
    assert cfg["train"]["model"] == "cnn-vae" and "torch" in cfg["versions"] and cfg["command"]


def test_list_shows_broken_runs_without_raising(runs_dir: Path) -> None:
    good = runs.create_run({"model": "cnn-vae", "steps": 5}, name="good")
    bad = runs_dir / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    rows = {r["name"]: r for r in run_list.list_runs()}
    assert rows["good"]["error"] == "" and rows["good"]["model"] == "cnn-vae"
    assert "unreadable" in rows["bad"]["error"]
    runs.delete_run("good")
    assert not good.path.exists()
    with pytest.raises(UserError):
        runs.get_run("good")


def test_metrics_csv_round_trip(runs_dir: Path) -> None:
    r = runs.create_run({"model": "cnn-vae"}, name="m")
    r.append_metrics([{"step": 1, "split": "train", "total": 0.5, "alpha": 0.75},
                      {"step": 2, "split": "test", "total": 0.4, "recon": 0.3}])
    rows = r.read_metrics()
    assert rows[0]["total"] == 0.5 and rows[1]["split"] == "test" and rows[0]["recon"] is None
    r.truncate_metrics(1)
    assert [x["step"] for x in r.read_metrics()] == [1]


def test_appending_to_an_older_metrics_file_rewrites_it_under_todays_header(tmp_path):
    """A run from a version with fewer columns: appended rows must not land in the wrong columns."""
    from sr_core.runs.metrics_log import METRIC_FIELDS, append_rows, read_rows
    path = tmp_path / "metrics.csv"
    path.write_text("step,split,total,recon,latent,kl,alpha,lr,elapsed_s,img_s\n"
                    "1,train,0.5,0.4,0.1,0.0,1.0,0.001,0.1,100\n")
    append_rows(path, [{"step": 2, "split": "test", "total": 0.3, "latent_psnr": 21.5, "alpha": 1.0}])
    rows, torn = read_rows(path)
    assert not torn and path.read_text().splitlines()[0] == ",".join(METRIC_FIELDS)
    assert rows[0]["recon"] == 0.4 and rows[0]["latent_psnr"] is None
    assert rows[1]["step"] == 2 and rows[1]["latent_psnr"] == 21.5 and rows[1]["alpha"] == 1.0
