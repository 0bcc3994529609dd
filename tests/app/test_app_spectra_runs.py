"""App tests: Spectra and Runs pages, shipped checkpoints on Home/Runs (AppTest; see tests/app_support.py)."""
from __future__ import annotations

import shutil

from sr_core.runs.shipped import list_shipped

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    SHORT_PROTOCOL, model_names, SPECTRA, RUNS, require_data, page, texts, plotly_specs, fresh_registry,
    trained_runs, runs, empty_runs, settle, fresh_worker, gate,
)


# ---------------------------------------------------------------- Spectra

def test_spectra_shows_panels_profiles_and_tables(runs, fresh_worker):
    at = settle(page(SPECTRA, spec_limit=200, spec_index=5))
    assert not at.exception, at.exception
    specs = plotly_specs(at)
    titles = [s["layout"]["title"]["text"] for s in specs]
    assert titles == ["2-D log-magnitude spectra — sample #5", "Radially averaged power spectrum — sample #5",
                      "Error spectra — sample #5", "2-D log-magnitude spectra — mean of 200 test images",
                      "Radially averaged power spectrum — mean of 200 test images",
                      "Error spectra — mean of 200 test images",
                      "Radially averaged power spectrum — models, mean of 200 test images"]
    panels, radial, errors = specs[0], specs[1], specs[2]
    assert [t["name"] for t in panels["data"]] == ["HR", "LR", "Reconstruction", "Decoder-only SR", "Bicubic"]
    assert radial["layout"]["yaxis"]["type"] == "log"
    assert [s["x0"] for s in radial["layout"]["shapes"]] == [7]
    assert {"SR − HR", "Bicubic − HR"} <= {t["name"] for t in errors["data"]}
    hf = at.table[0].value
    assert list(hf["Image"]) == ["HR", "LR", "Reconstruction", "Decoder-only SR", "Bicubic"]
    assert len(at.table) == 3
    assert [t["name"] for t in specs[6]["data"]] == ["HR", "LR", "Bicubic", "SR · tiny-run"]  # nothing added yet


def test_spectra_overlays_the_shipped_models(empty_runs, fresh_worker):
    require_data()
    at = settle(page(SPECTRA, spec_limit=100))
    assert not at.exception and not texts(at, "error"), (at.exception, texts(at, "error"))
    overlay = plotly_specs(at)[-1]
    names = [t["name"] for t in overlay["data"]]
    assert names == ["HR", "LR", "Bicubic", "SR · shipped · cnn-vae", "SR · shipped · resnet-sr",
                     "SR · shipped · cvae-sr"]
    hf = at.table[-1].value.set_index("Image").iloc[:, 0].str.rstrip(" %").astype(float)
    # The strong models put back much more energy above the LR Nyquist radius than bicubic does.
    assert hf["SR · shipped · resnet-sr"] > 2 * hf["Bicubic"] and hf["HR"] > hf["Bicubic"]
    at.multiselect(key="spec_more").unselect("shipped · cvae-sr").run()
    assert len(plotly_specs(at)[-1]["data"]) == 5


def test_spectra_sample_answers_while_the_set_average_computes(runs, fresh_worker, monkeypatch):
    """The set average is held in the background: the chosen sample's spectra still draw and change at
    once, with a progress bar for the set; released, the set-average charts appear."""
    import threading

    from ui import spectra

    hold = threading.Event()
    real = spectra.spectra_outputs

    def held(model, split, indices, **kw):
        if isinstance(indices, slice):  # the set average only; the one-sample view is not held
            assert hold.wait(120)
        return real(model, split, indices, **kw)

    monkeypatch.setattr(spectra, "spectra_outputs", held)
    at = page(SPECTRA, spec_limit=200, spec_index=5)
    assert not at.exception and at.get("progress")
    assert "Averaging spectra" in at.get("progress")[0].proto.text
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert titles == ["2-D log-magnitude spectra — sample #5", "Radially averaged power spectrum — sample #5",
                      "Error spectra — sample #5"]
    at.number_input(key="spec_index").set_value(9).run()
    assert plotly_specs(at)[0]["layout"]["title"]["text"] == "2-D log-magnitude spectra — sample #9"
    hold.set()
    settle(at)
    assert len(plotly_specs(at)) == 7 and not at.get("progress")


# ---------------------------------------------------------------- Runs

def test_runs_lists_runs_and_broken_ones_without_breaking(runs):
    (runs / "broken-config").mkdir()
    (runs / "broken-config" / "config.json").write_text("{not json")
    bad = runs / "bad-ckpt"
    shutil.copytree(runs / "tiny-run", bad)
    (bad / "checkpoint.pt").write_bytes(b"\x00garbage")
    at = page(RUNS, runs_selected="tiny-run")
    assert not at.exception
    df = at.dataframe[0].value
    assert set(df["Run"]) == {"tiny-run", "broken-config", "bad-ckpt"}
    row = df.set_index("Run")
    assert row.loc["tiny-run", "Status"] == "finished" and row.loc["tiny-run", "Error"] == ""
    assert row.loc["tiny-run", "Steps"] == "20 / 20" and row.loc["tiny-run", "Preset"] == "tiny"
    assert "unreadable" in row.loc["broken-config", "Error"]
    assert "not a torch checkpoint" in row.loc["bad-ckpt", "Error"]  # read without torch (sr_core.runs.ckpt_scan)
    errors = texts(at, "error")
    assert any("broken-config" in e for e in errors) and any("bad-ckpt" in e for e in errors)
    spec = plotly_specs(at)[0]
    assert [t["name"] for t in spec["data"]] == ["tiny-run"]
    assert "Test loss per batch" in spec["layout"]["title"]["text"]
    labels = [b.label for b in at.download_button]
    assert labels[0] == "Download metrics.csv" and labels[1].startswith("Download checkpoint")


def test_runs_delete_needs_the_typed_name(runs):
    at = page(RUNS, runs_selected="tiny-run")
    delete = at.button(key="runs_delete")
    assert delete.disabled
    at.text_input(key="runs_confirm").input("tiny").run()
    assert at.button(key="runs_delete").disabled and (runs / "tiny-run").is_dir()
    at.text_input(key="runs_confirm").input("tiny-run").run()
    at.button(key="runs_delete").click().run()
    assert not at.exception
    assert not (runs / "tiny-run").exists()
    assert any("Deleted run 'tiny-run'" in s for s in texts(at, "success"))
    assert any("No runs yet" in i for i in texts(at, "info"))


def test_runs_and_home_list_the_shipped_checkpoints_read_only(empty_runs):
    at = page(RUNS)
    assert not at.exception and any("No runs yet" in i for i in texts(at, "info"))
    shipped = at.dataframe[0].value.set_index("Shipped checkpoint")
    listed = list_shipped()  # folder names are labels (cnn-vae-photo); every registry model has one on Fashion-MNIST
    assert set(shipped.index) == {f"shipped · {r['name']}" for r in listed}
    fashion = shipped[shipped["Trained on"] == "Fashion-MNIST"]
    assert set(fashion["Model"]) == set(model_names())
    for label, row in shipped[shipped["Trained on"] != "Fashion-MNIST"].iterrows():  # photo models
        assert row["PSNR (dB)"] == "–" and "vs bicubic" in row["Held-out photos Y-PSNR (dB)"], label
    assert float(shipped.loc["shipped · resnet-sr", "PSNR (dB)"]) > float(shipped.loc["shipped · cnn-vae", "PSNR (dB)"])
    assert any("10,000 Fashion-MNIST test images" in c and SHORT_PROTOCOL in c for c in texts(at, "caption"))
    spec = plotly_specs(at)[0]
    assert len(spec["data"]) == 3 and all(t["name"].startswith("shipped · ") for t in spec["data"])
    at.selectbox(key="runs_selected").set_value("shipped · resnet-sr").run()
    assert not at.exception and "runs_delete" not in [b.key for b in at.button]
    assert any("read-only" in c for c in texts(at, "caption"))
    assert [b.label.split(" (")[0] for b in at.download_button] == ["Download metrics.csv", "Download checkpoint"]
    home = page()
    assert not home.exception
    names = [t.value for t in home.table]
    assert any("Shipped checkpoint" in t.columns and "shipped · " not in " ".join(t["Shipped checkpoint"])
               and len(t) == len(listed) and "Trained on" in t.columns for t in names)
