"""Every page of the Streamlit studio through ``streamlit.testing.v1.AppTest`` (no browser).

Real Fashion-MNIST from ``$SR_DATA_DIR``: the tests that need it skip on a laptop without the data
and FAIL under CI (``CI`` set), so a missing data folder can never turn CI green by skipping.
Training runs are tiny (20 batches, 200 test images) and go to a temporary ``SR_RUNS_DIR``.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from sr_core.config import preset_config  # noqa: E402
from sr_core.data import RAW_FILES, check_dataset, resolve_data_dir  # noqa: E402
from sr_core.evaluate import SHORT_PROTOCOL  # noqa: E402
from sr_core.jobs import TrainJob, prepare_run  # noqa: E402
from sr_core.models import model_class, model_names  # noqa: E402
from ui.widgets import job_registry  # noqa: E402

TRAIN, COMPARE, SPECTRA, RUNS = "pages/1_Train.py", "pages/2_Compare.py", "pages/3_Spectra.py", "pages/4_Runs.py"


def require_data() -> Path:
    """The Fashion-MNIST root; skip locally when it is missing, fail under CI."""
    root = resolve_data_dir(None).resolve()
    missing = check_dataset("fashion-mnist", root)
    if missing:
        msg = f"Fashion-MNIST not found under {root} (missing {', '.join(missing)}); set SR_DATA_DIR"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(msg)
        pytest.skip(msg)
    return root


def page(path: str | None = None, timeout: float = 120, **state) -> AppTest:
    """Run the app (or one of its pages) once, with session state preset from ``state``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if path:
        at.switch_page(path)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def plotly_specs(at: AppTest) -> list[dict]:
    """The plotly JSON of each chart (numpy data arrive base64-encoded: use plotly_figures for values)."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def values(v) -> list:
    """A plotly data array as a list; plotly sends numpy arrays as {"dtype", "bdata": base64}."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def wait_for_status(at: AppTest, words: tuple[str, ...], timeout: float = 60.0) -> str:
    """Rerun the page until its status line shows one of ``words``; returns that line."""
    end = time.monotonic() + timeout
    line = ""
    while time.monotonic() < end:
        lines = [m for m in texts(at, "markdown") if "Status:" in m]
        line = lines[0] if lines else ""
        if any(f"**{w}**" in line for w in words):
            return line
        time.sleep(0.3)
        at.run()
    raise AssertionError(f"status never became {words}; last: {line!r}")


@pytest.fixture(autouse=True)
def fresh_registry():
    """Each test starts without a job and leaves none running."""
    job_registry().shutdown()
    job_registry.clear()
    yield
    job_registry().shutdown()
    job_registry.clear()


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory) -> Path:
    """A runs folder holding one tiny trained run, 'tiny-run' (20 batches, test loss on 200 images)."""
    require_data()
    root = tmp_path_factory.mktemp("trained")
    cfg = preset_config("tiny", steps=20, eval_every=10, eval_limit=200, checkpoint_every=10)
    trainer, run = prepare_run(cfg, runs_dir=root, name="tiny-run")
    # One torch thread, as the app trains: on a busy 2-core machine two threads made these 20 batches
    # take 28 s instead of 1.5 s.
    job = TrainJob(trainer, run, torch_threads=1).start()
    assert job.join(120) and job.status == "finished", job.snapshot()["error"]
    return root


@pytest.fixture()
def runs(trained_runs, tmp_path, monkeypatch) -> Path:
    """A private copy of the trained runs folder as SR_RUNS_DIR (tests may break or delete runs)."""
    root = tmp_path / "runs"
    shutil.copytree(trained_runs, root)
    monkeypatch.setenv("SR_RUNS_DIR", str(root))
    return root


@pytest.fixture()
def empty_runs(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "runs"
    monkeypatch.setenv("SR_RUNS_DIR", str(root))
    return root


@pytest.fixture()
def no_data(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "nodata"
    d.mkdir()
    monkeypatch.setenv("SR_DATA_DIR", str(d))
    return d


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
    assert links == {"Train": "Train a model", "Compare": "Compare SR with baselines",
                     "Spectra": "Look at spectra", "Runs": "Manage runs"}
    nav = [e.proto.label for e in at.sidebar.get("page_link")]
    assert nav == ["Home", "Train", "Compare", "Spectra", "Runs"]


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
    assert sum("could not be downloaded" in e for e in texts(at, "error")) == 2  # the notice and the failure

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
    at = page(TRAIN)
    at.selectbox(key="train_preset").set_value("tiny").run()
    at.number_input(key="train_steps").set_value(20)
    at.number_input(key="train_eval_every").set_value(10)
    at.number_input(key="train_eval_limit").set_value(200)
    at.text_input(key="train_name").input("ui-tiny")
    at.button(key="train_start").click().run()
    assert not at.exception and not texts(at, "error")
    line = wait_for_status(at, ("finished",))
    assert "Step 20 / 20" in line and "`ui-tiny`" in line
    assert at.get("progress")[0].proto.text.startswith("Step 20 / 20")
    assert any("finished" in s for s in texts(at, "success"))
    assert "Loss per batch" in texts(at, "subheader")
    train_spec, test_spec = plotly_specs(at)
    assert "Loss per batch — train" in train_spec["layout"]["title"]["text"]
    # KL is not minimized in the tiny preset (weight 0), so it is off by default and can be added.
    assert [t["name"] for t in train_spec["data"]] == ["total (raw)", "total", "recon (raw)", "recon",
                                                       "latent (raw)", "latent"]
    at.multiselect(key="train_components").select("kl").run()
    assert "kl" in {t["name"] for t in plotly_specs(at)[0]["data"]}
    assert [s["x0"] for s in test_spec["layout"]["shapes"]] == [40]  # tiny: alpha changes at batch 40
    assert [values(t["x"]) for t in test_spec["data"] if t["name"] == "total"] == [[0, 10, 20]]
    at.toggle(key="train_log").set_value(True).run()
    assert plotly_specs(at)[0]["layout"]["yaxis"]["type"] == "log"
    assert len(at.get("image")) == 1  # the LR -> SR -> HR strip
    run = empty_runs / "ui-tiny"
    assert (run / "checkpoint.pt").is_file() and (run / "metrics.csv").is_file()
    saved = json.loads((run / "config.json").read_text())["train"]
    assert (saved["preset"], saved["steps"], saved["eval_limit"], saved["batch_size"]) == ("tiny", 20, 200, 50)
    # A finished run appears on the Runs page at once (list_runs is never cached).
    runs_page = page(RUNS)
    assert "ui-tiny" in set(runs_page.dataframe[0].value["Run"])


def test_train_stop_saves_checkpoint_and_second_start_is_refused(empty_runs):
    require_data()
    tab1 = page(TRAIN)
    tab1.selectbox(key="train_preset").set_value("tiny").run()
    tab1.number_input(key="train_steps").set_value(100_000)
    tab1.number_input(key="train_eval_limit").set_value(200)
    tab1.button(key="train_start").click().run()
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


# ---------------------------------------------------------------- Compare

def test_compare_shows_table_grid_and_modes(runs):
    at = page(COMPARE, cmp_limit=300)
    assert not at.exception, at.exception
    table = at.table[0].value
    assert list(table["Method"]) == ["tiny-run: SR from LR", "tiny-run: full reconstruction (sees HR)",
                                     "nearest", "bilinear", "bicubic"]
    assert list(table.columns) == ["Method", "PSNR (dB)", "SSIM", "LR-PSNR (dB)"]
    assert table["LR-PSNR (dB)"].iloc[2] == "∞"  # nearest upsampling box-averages back to the LR exactly
    assert any(SHORT_PROTOCOL in c and "300 test images" in c for c in texts(at, "caption"))
    assert {"Set-level metrics", "Samples"} <= set(texts(at, "subheader"))
    imgs = at.get("image")
    assert len(imgs) == 4 * 6  # default indices 0-3, six columns
    captions = [c for c in texts(at, "markdown")]
    for col in ("**HR (truth)**", "**LR input**", "**Full-VAE reconstruction**", "**SR · tiny-run**",
                "**Bicubic**", "**|SR − HR| · tiny-run**"):
        assert col in captions
    assert sum("PSNR" in img.proto.imgs[0].caption for img in imgs) == 4 * 3
    for mode, widget, value in (("By class", "cmp_class", 9), ("Random", "cmp_seed", 3),
                                ("Worst PSNR", None, None), ("Best PSNR", None, None)):
        at.radio(key="cmp_mode").set_value(mode).run()
        if widget:
            getattr(at, "selectbox" if widget == "cmp_class" else "number_input")(key=widget).set_value(value).run()
        assert not at.exception and not texts(at, "error"), mode
        assert len(at.get("image")) == 6 * 6
    at.radio(key="cmp_mode").set_value("By index").run()
    at.text_input(key="cmp_indices").input("3, 12345").run()
    assert any("out of range" in e for e in texts(at, "error")) and not at.exception
    # Saving the set-level numbers as the run's eval.json puts its PSNR into the Runs table.
    at.button(key="cmp_save_eval").click().run()
    saved = json.loads((runs / "tiny-run" / "eval.json").read_text())
    assert saved["n_images"] == 300 and saved["step"] == 20 and saved["model"]["psnr"] > 0
    row = page(RUNS).dataframe[0].value.set_index("Run").loc["tiny-run"]
    assert row["PSNR (dB)"] == f"{saved['model']['psnr']:.2f}"


@pytest.fixture()
def noisy_model(monkeypatch):
    """A stochastic stand-in registered for one test: cnn-vae whose SR sees a noisy LR image."""
    from sr_core.models import base
    from sr_core.models.cnn_vae import CNNVAE

    class NoisyVAE(CNNVAE):
        """cnn-vae with seeded noise on the LR input (tests only)."""

        name = "test-noisy-vae"
        stochastic = True

        def super_resolve(self, x_lr, labels=None, generator=None):
            noise = torch.randn(x_lr.shape, generator=generator, device=x_lr.device) * 0.1
            return super().super_resolve((x_lr + noise).clamp(0, 1), labels, generator)

    monkeypatch.setitem(base._REGISTRY, NoisyVAE.name, NoisyVAE)  # removed again after the test
    return NoisyVAE


def test_compare_stochastic_model_shows_samples_and_std(runs, noisy_model):
    from sr_core.checkpoint import model_from_checkpoint, save_checkpoint

    model, ckpt = model_from_checkpoint(runs / "tiny-run" / "checkpoint.pt")
    noisy = noisy_model(model.config)
    noisy.load_state_dict(model.state_dict())
    run = runs / "noisy-run"
    shutil.copytree(runs / "tiny-run", run)
    save_checkpoint(run / "checkpoint.pt", noisy, train_config=ckpt["train_config"], step=ckpt["step"])
    at = page(COMPARE, cmp_limit=200, selected_run="noisy-run", cmp_indices="7")
    assert not at.exception, at.exception
    assert at.slider(key="cmp_nsamples").value == 6
    captions = [img.proto.imgs[0].caption for img in at.get("image")]
    assert sum(c.startswith("sample ") for c in captions) == 6
    std = [c for c in captions if c.startswith("per-pixel std")]
    assert len(std) == 1 and float(std[0].split("max ")[1].rstrip(")")) > 0


def test_compare_corrupt_checkpoint_is_an_error_for_that_run_only(runs):
    bad = runs / "bad-ckpt"
    shutil.copytree(runs / "tiny-run", bad)
    (bad / "checkpoint.pt").write_bytes(b"not a checkpoint")
    at = page(COMPARE, cmp_limit=300, selected_run="bad-ckpt")
    assert not at.exception
    assert any("cannot read checkpoint" in e for e in texts(at, "error"))
    at.selectbox(key="cmp_run").set_value("tiny-run").run()
    assert not at.exception and not texts(at, "error") and len(at.get("image")) == 24
    at.radio(key="cmp_source").set_value("Checkpoint file").run()
    at.text_input(key="cmp_file").input(str(runs / "nowhere.pt")).run()
    assert any("does not exist" in e for e in texts(at, "error")) and not at.exception
    at.text_input(key="cmp_file").input(str(bad / "metrics.csv")).run()
    assert any("cannot read checkpoint" in e for e in texts(at, "error")) and not at.exception
    at.text_input(key="cmp_file").input(str(runs / "tiny-run" / "checkpoint.pt")).run()
    assert not texts(at, "error") and len(at.get("image")) == 24


@pytest.mark.parametrize("path", [COMPARE, SPECTRA])
def test_compare_and_spectra_without_dataset_show_instructions(runs, no_data, path):
    at = page(path)
    assert not at.exception
    err = " ".join(texts(at, "error"))
    assert "could not be downloaded" in err and str(no_data.resolve()) in err
    assert not at.get("image") and not at.get("plotly_chart")


def test_compare_and_spectra_without_runs_open_a_shipped_checkpoint(empty_runs):
    for p in (COMPARE, SPECTRA):
        at = page(p)
        assert not at.exception
        assert at.radio(key=f"{'cmp' if p == COMPARE else 'spec'}_source").value == "Shipped checkpoint"
        assert at.selectbox(key=f"{'cmp' if p == COMPARE else 'spec'}_shipped").value == "cnn-vae"


def test_compare_several_shipped_models_projection_and_temperature(empty_runs):
    """A newcomer's Compare: the shipped cnn-vae beside the shipped resnet-sr; add cvae-sr, project, cool."""
    require_data()
    at = page(COMPARE, cmp_limit=100, cmp_indices="0, 1")
    assert not at.exception and not texts(at, "error"), (at.exception, texts(at, "error"))
    assert at.multiselect(key="cmp_more").value == ["shipped · resnet-sr"]
    methods = list(at.table[0].value["Method"])
    assert methods[:3] == ["shipped · cnn-vae: SR from LR", "shipped · cnn-vae: full reconstruction (sees HR)",
                           "shipped · resnet-sr: SR from LR"]
    psnr = at.table[0].value.set_index("Method")["PSNR (dB)"].astype(float)
    assert psnr["shipped · resnet-sr: SR from LR"] > psnr["bicubic"] > psnr["shipped · cnn-vae: SR from LR"] - 1
    headers = [m for m in texts(at, "markdown") if m.startswith("**SR")]
    assert headers == ["**SR · shipped · cnn-vae**", "**SR · shipped · resnet-sr**"]
    assert not at.get("slider") or "cmp_temperature" not in [w.key for w in at.slider]
    at.multiselect(key="cmp_more").select("shipped · cvae-sr").run()
    at.toggle(key="cmp_projection").set_value(True).run()
    assert not at.exception and not texts(at, "error")
    table = at.table[0].value.set_index("Method")
    assert "shipped · cvae-sr: SR + LR projection" in table.index
    assert float(table.loc["shipped · cnn-vae: SR + LR projection", "LR-PSNR (dB)"]) > 45
    assert float(table.loc["shipped · cvae-sr: SR from LR", "Diversity (mean std)"]) > 0
    assert at.slider(key="cmp_temperature").value == 0.5  # cvae-sr's own default
    captions = [img.proto.imgs[0].caption for img in at.get("image")]
    assert sum(c.startswith("sample ") for c in captions) == 6  # diversity view of cvae-sr
    before = float(table.loc["shipped · cvae-sr: SR from LR", "Diversity (mean std)"])
    at.slider(key="cmp_temperature").set_value(0.0).run()
    table = at.table[0].value.set_index("Method")
    assert float(table.loc["shipped · cvae-sr: SR from LR", "Diversity (mean std)"]) == 0 < before
    assert any("per-pixel std (max 0.000)" in (img.proto.imgs[0].caption or "") for img in at.get("image"))


def test_compare_and_spectra_trained_run_source_without_runs_points_to_train(empty_runs):
    for p, k in ((COMPARE, "cmp"), (SPECTRA, "spec")):
        at = page(p)
        at.radio(key=f"{k}_source").set_value("Trained run").run()
        assert not at.exception and any("No trained run" in i for i in texts(at, "info"))


@pytest.mark.parametrize("model_name", model_names())
def test_compare_and_spectra_work_for_every_registered_model(model_name, tmp_path, monkeypatch):
    """Any model in the registry plugs into the pages (4 batches of training are enough to have weights)."""
    require_data()
    root = tmp_path / "runs"
    monkeypatch.setenv("SR_RUNS_DIR", str(root))
    cfg = preset_config("tiny", model=model_name, steps=4, eval_every=4, eval_limit=100, checkpoint_every=4)
    trainer, run = prepare_run(cfg, runs_dir=root, name=f"every-{model_name}")
    job = TrainJob(trainer, run, torch_threads=1).start()
    assert job.join(120) and job.status == "finished", job.snapshot()["error"]
    at = page(COMPARE, cmp_limit=100, cmp_indices="0")
    assert not at.exception and not texts(at, "error"), (at.exception, texts(at, "error"))
    cls = model_class(model_name)
    assert len(at.table[0].value) == 4 + cls.has_reconstruction + hasattr(cls, "classify")
    assert len(at.get("image")) == (6 if model_class(model_name).has_reconstruction else 5) + (
        7 if model_class(model_name).stochastic else 0)  # one grid row (+ 6 samples and their std)
    if model_class(model_name).stochastic:
        assert any(img.proto.imgs[0].caption.startswith("per-pixel std") for img in at.get("image"))
    at = page(SPECTRA, spec_limit=100)
    assert not at.exception and len(at.get("plotly_chart")) == 7


# ---------------------------------------------------------------- Spectra

def test_spectra_shows_panels_profiles_and_tables(runs):
    at = page(SPECTRA, spec_limit=200, spec_index=5)
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


def test_spectra_overlays_the_shipped_models(empty_runs):
    require_data()
    at = page(SPECTRA, spec_limit=100)
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
    assert "cannot read checkpoint" in row.loc["bad-ckpt", "Error"]
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
    assert set(shipped.index) == {f"shipped · {m}" for m in model_names()}
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
               and len(t) == len(model_names()) for t in names)

