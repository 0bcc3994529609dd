"""App tests of the Sweeps page: the shipped study without running anything, and a tiny sweep started
from the page's form, watched while it runs, read when it has finished (AppTest; see tests/app_support.py)."""
from __future__ import annotations

import csv
import json
import time

import pytest

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    ROOT, empty_runs, fresh_registry, page, plotly_specs, require_data, texts, values,
)
from ui.studio.services import sweep_launcher

SWEEPS = "pages/sweeps.py"
STUDY = ROOT / "assets" / "studies" / "alpha-ablation"


@pytest.fixture()
def launcher():
    sweep_launcher().stop()
    sweep_launcher.clear()
    yield sweep_launcher()
    sweep_launcher().stop()
    sweep_launcher.clear()


def test_shipped_study_is_shown_without_running_anything(empty_runs, launcher):
    at = page(SWEEPS)
    assert not at.exception
    assert at.selectbox(key="sweep_pick").value == "shipped · alpha-ablation"
    assert not launcher.running
    state = json.loads((STUDY / "sweep.json").read_text())
    rows = list(csv.DictReader((STUDY / "summary.csv").open()))
    table = at.dataframe[0].value
    assert list(table["setting"]) == [r["label"] for r in rows] == state["labels"]
    for r, cell in zip(rows, table["mean ± 95% CI"]):
        assert cell.startswith(f"{float(r['sr_psnr_mean']):.2f} ± " if r["sr_psnr_mean"] else "- ± ")
    shown = [r for r in rows if r["sr_psnr_mean"]]
    chart = plotly_specs(at)[0]
    dots = [v for tr in chart["data"] if tr["name"] == "one seed" for v in values(tr["y"])]
    finished = [t["metrics"]["sr_psnr"] for t in state["trials"] if t["status"] == "finished"]
    assert sorted(dots) == pytest.approx(sorted(finished))
    means = next(tr for tr in chart["data"] if tr["name"].startswith("mean"))
    assert values(means["y"]) == pytest.approx([float(r["sr_psnr_mean"]) for r in shown], rel=1e-5)
    assert any("Student-t" in c for c in texts(at, "caption"))


def test_a_tiny_sweep_started_from_the_page_runs_live_and_shows_its_results(empty_runs, launcher):
    require_data()
    at = page(SWEEPS)
    at.text_input(key="sweep_grid").set_value("lr=0.001")
    at.number_input(key="sweep_steps").set_value(4)
    at.number_input(key="sweep_images").set_value(200)
    at.text_input(key="sweep_name").set_value("ui-sweep")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert launcher.running and launcher.name == "ui-sweep"
    # the spec crossed as the sweep.json it is kept as, and the process only resumes it (no grid argv)
    state = json.loads((empty_runs / ".sweeps" / "ui-sweep" / "sweep.json").read_text())
    assert state["spec"]["grid"] == [["lr", ["0.001"]]] and state["spec"]["eval_limit"] == 200
    assert launcher.command[3:6] == ["sweep", "--resume", "ui-sweep"] and "--grid" not in launcher.command
    assert any("is running in the background" in m for m in texts(at, "info"))
    at.run()  # a refresh reattaches to the same sweep (one launcher per server)
    assert at.selectbox(key="sweep_pick").value == "ui-sweep" and at.button(key="sweep_stop")
    t0 = time.monotonic()
    while launcher.running:  # a hang guard, not a timing assertion
        assert time.monotonic() - t0 < 300, "the tiny sweep did not end"
        time.sleep(0.5)
    assert launcher.returncode == 0, launcher.log_path.read_text()[-2000:]
    at.run()
    assert not at.exception
    trials = at.dataframe[-1].value
    assert list(trials["status"]) == ["finished", "finished"] and list(trials["seed"]) == [0, 1]
    assert at.dataframe[0].value["seeds"].tolist() == ["2"]
    assert plotly_specs(at), "no chart"
    assert at.selectbox(key="sweep_trial").options == ["ui-sweep-00-seed0", "ui-sweep-00-seed1"]
    at.button(key="sweep_to_runs").click().run()
    assert at.session_state["runs_selected"] == "ui-sweep-00-seed0"


def test_malformed_sweep_files_are_one_message_each_and_the_page_keeps_working(empty_runs, launcher):
    """The Sweeps page opens the newest sweep by default: a malformed one is one error message, never an
    exception; every other sweep (the good one, the shipped study) is still offered and shown."""
    import os

    from tests._corpus import BROKEN_SWEEPS, make_sweep_corpus

    make_sweep_corpus(empty_runs)
    newest = empty_runs / ".sweeps" / "status-null"
    os.utime(newest, (time.time() + 60, time.time() + 60))
    at = page(SWEEPS)
    assert not at.exception
    options = at.selectbox(key="sweep_pick").options
    assert set(BROKEN_SWEEPS) | {"good", "shipped · alpha-ablation"} <= set(options)
    assert at.selectbox(key="sweep_pick").value == "status-null"
    assert any("status-null" in e and "'status'" in e for e in texts(at, "error"))
    for name in BROKEN_SWEEPS:
        at = page(SWEEPS, sweep_pick=name)
        assert not at.exception, name
        assert any(name in e for e in texts(at, "error")), name
    at = page(SWEEPS, sweep_pick="good")
    assert not at.exception and not texts(at, "error") and "finished" in " ".join(texts(at, "markdown"))
