"""App tests: Home and Train pages (AppTest, real Fashion-MNIST; see tests/app_support.py)."""
from __future__ import annotations

import json

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    Path, RAW_FILES, job_registry, TRAIN, RUNS, require_data, page, texts, plotly_specs, values,
    start_tiny_job, wait_for_status, fresh_registry, trained_runs, runs, empty_runs, no_data,
)


# ---------------------------------------------------------------- Home

def test_home_renders_models_runs_and_links(runs):
    require_data()
    at = page()
    assert not at.exception
    assert "VAE Super-Resolution Studio" in at.title[0].value
    assert any("fashion-mnist: found" in s for s in texts(at, "success"))
    models = at.table[0].value
    assert {"cnn-vae", "cnn-vae-paper"} <= set(models["Model"])
    assert "tiny-run" in set(at.table[1].value["Run"])
    links = {e.proto.page: e.proto.label for e in at.main.get("page_link")}
    assert links == {"train": "Train a model", "compare": "Compare SR with baselines",
                     "latent": "See the latent", "spectra": "Look at spectra", "runs": "Manage runs",
                     "sweeps": "Sweeps with error bars"}
    # the router (app.py, st.navigation) serves every page of the sidebar; the browser walk clicks them
    from ui.studio.widgets import NAV, PAGES
    assert [title for _, title, _ in NAV] == ["Home", "Train", "Compare", "Latent", "Spectra", "Runs", "Sweeps"]
    assert all((Path(__file__).resolve().parents[2] / PAGES[key]).is_file() for key, _, _ in NAV)


def test_home_missing_dataset_shows_instructions_and_download(no_data, empty_runs):
    at = page()
    assert not at.exception
    err = " ".join(texts(at, "error"))
    assert str(no_data.resolve()) in err and all(f in err for f in RAW_FILES)
    assert any(b.label == "Download fashion-mnist" for b in at.button)


def test_home_download_offline_is_one_line_error_and_success_reruns(no_data, empty_runs, monkeypatch):
    import torchvision.datasets.utils as tvu

    def offline(url, download_root, filename, md5):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tvu, "download_and_extract_archive", offline)
    at = page()
    at.button(key="home_download_fashion-mnist").click().run()
    assert not at.exception
    errors = texts(at, "error")
    assert sum("was not found" in e for e in errors) == 2  # the notice and the failure
    assert sum("download failed: OSError: network is unreachable" in e for e in errors) == 1

    def fake(url, download_root, filename, md5):  # "downloads" by writing the extracted file
        Path(download_root, filename[:-3]).write_bytes(b"x")

    monkeypatch.setattr(tvu, "download_and_extract_archive", fake)
    at.button(key="home_download_fashion-mnist").click().run()
    assert not at.exception and not texts(at, "error")
    assert any("fashion-mnist: found" in s for s in texts(at, "success"))



# ---------------------------------------------------------------- Train

def test_train_form_fills_preset_and_refuses_invalid_values(empty_runs):
    at = page(TRAIN)
    assert not at.exception
    assert at.number_input(key="train_steps").value == 1500  # the default preset: quick
    at.selectbox(key="train_preset").set_value("tiny").run()
    assert at.number_input(key="train_steps").value == 60
    assert at.text_input(key="train_alpha_schedule").value == "0:0.75,40:0.25"
    assert at.selectbox(key="train_lr_schedule").value == "constant"
    at.selectbox(key="train_preset").set_value("resnet-sr").run()
    assert at.selectbox(key="train_lr_schedule").value == "cosine" and at.selectbox(key="train_model").value == "resnet-sr"
    at.selectbox(key="train_preset").set_value("tiny").run()
    for key, bad, message in (("train_lr", "-1", "learning rate must be a positive number"),
                              ("train_lr", "fast", "is not a number"),
                              ("train_alpha_schedule", "0:0.75,10", "cannot read alpha schedule"),
                              ("train_alpha_schedule", "0:1.5", "alpha must lie in [0, 1]")):
        at.text_input(key=key).input(bad)
        at.button(key="train_start").click().run()
        assert not at.exception
        assert any(message in e for e in texts(at, "error")), (bad, texts(at, "error"))
        at.text_input(key=key).input({"train_lr": "0.001", "train_alpha_schedule": "0:0.75,40:0.25"}[key])
    at.number_input(key="train_batch_size").set_value(0)
    at.button(key="train_start").click().run()
    assert any("batch size must be at least 1" in e for e in texts(at, "error"))
    assert job_registry().job is None and not empty_runs.exists()  # nothing started, no run folder


def test_train_tiny_job_runs_to_finished_with_charts_and_preview(empty_runs):
    require_data()
    at = start_tiny_job(20, eval_every=10, name="ui-tiny")
    assert not at.exception and not texts(at, "error")
    line = wait_for_status(at, ("finished",))
    assert "Step 20 / 20" in line and "`ui-tiny`" in line
    assert at.get("progress")[0].proto.text.startswith("Step 20 / 20")
    assert any("finished" in s for s in texts(at, "success"))
    assert "Loss per batch" in texts(at, "subheader")
    train_spec, test_spec, latent_spec, quality_spec = plotly_specs(at)
    assert quality_spec["layout"]["title"]["text"].startswith("SR PSNR vs bicubic")
    assert "Loss per batch — train" in train_spec["layout"]["title"]["text"]
    # The latent-vs-LR curve: one PSNR(mu, LR) point per test evaluation, with the alpha markers.
    assert latent_spec["layout"]["title"]["text"].startswith("Latent vs LR")
    assert len(values(latent_spec["data"][0]["x"])) == 3 and [s["x0"] for s in latent_spec["layout"]["shapes"]] == [40]
    # KL is not minimized in the tiny preset (weight 0), so it is off by default and can be added.
    assert [t["name"] for t in train_spec["data"]] == ["total (raw)", "total", "recon (raw)", "recon",
                                                       "latent (raw)", "latent"]
    at.multiselect(key="train_components").select("kl").run()
    assert "kl" in {t["name"] for t in plotly_specs(at)[0]["data"]}
    assert [s["x0"] for s in test_spec["layout"]["shapes"]] == [40]  # tiny: alpha changes at batch 40
    assert [values(t["x"]) for t in test_spec["data"] if t["name"] == "total"] == [[0, 10, 20]]
    at.toggle(key="train_log").set_value(True).run()
    assert plotly_specs(at)[0]["layout"]["yaxis"]["type"] == "log"
    assert len(at.get("image")) == 2  # the LR -> SR -> HR strip and the latent strip (LR | z)
    assert "Latent strip" in at.get("image")[1].proto.imgs[0].caption
    run = empty_runs / "ui-tiny"
    assert (run / "checkpoint.pt").is_file() and (run / "metrics.csv").is_file()
    saved = json.loads((run / "config.json").read_text())["train"]
    assert (saved["preset"], saved["steps"], saved["eval_limit"], saved["batch_size"]) == ("tiny", 20, 200, 50)
    # A finished run appears on the Runs page at once (list_runs is never cached).
    runs_page = page(RUNS)
    assert "ui-tiny" in set(runs_page.dataframe[0].value["Run"])


def test_train_stop_saves_checkpoint_and_second_start_is_refused(empty_runs):
    require_data()
    tab1 = start_tiny_job(100_000)
    wait_for_status(tab1, ("running",))
    # A second tab (a new session) reattaches to the same job and cannot start another one.
    tab2 = page(TRAIN)
    assert any("**running**" in m for m in texts(tab2, "markdown"))
    tab2.button(key="train_start").click().run()
    assert any("a job is already running" in e for e in texts(tab2, "error"))
    assert len(list(empty_runs.iterdir())) == 1
    tab2.button(key="train_stop").click().run()
    line = wait_for_status(tab1, ("stopped",))
    assert "Step" in line and not tab1.exception
    assert any("checkpoint is saved" in w for w in texts(tab1, "warning"))
    (run,) = list(empty_runs.iterdir())
    assert (run / "checkpoint.pt").is_file()
    assert json.loads((run / "status.json").read_text())["status"] == "stopped"


def test_train_page_without_dataset_warns_instead_of_crashing(no_data, empty_runs):
    at = page(TRAIN)
    assert not at.exception
    assert any("Start will try to download" in w for w in texts(at, "warning"))
    assert any(str(no_data.resolve()) in e for e in texts(at, "error"))
