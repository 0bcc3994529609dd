"""App tests: the Compare page, one model and several (AppTest; see tests/app_support.py)."""
from __future__ import annotations

import json
import shutil

import pytest
import torch

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    preset_config, SHORT_PROTOCOL, TrainJob, prepare_run, model_class, model_names, COMPARE, SPECTRA, RUNS,
    require_data, page, texts, fresh_registry, trained_runs, runs, empty_runs, no_data, settle, titles,
    fresh_worker, gate,
)


# ---------------------------------------------------------------- Compare

def test_compare_shows_table_grid_and_modes(runs, fresh_worker):
    at = settle(page(COMPARE, cmp_limit=300))
    assert not at.exception, at.exception
    table = at.table[0].value
    assert list(table["Method"]) == ["tiny-run: SR from LR", "tiny-run: full reconstruction (sees HR)",
                                     "nearest", "bilinear", "bicubic"]
    assert list(table.columns) == ["Method", "PSNR (dB)", "SSIM", "LR-PSNR (dB)"]
    assert table["LR-PSNR (dB)"].iloc[2] == "∞"  # nearest upsampling box-averages back to the LR exactly
    assert any(SHORT_PROTOCOL in c and "first 300 of 10,000 test images" in c for c in texts(at, "caption"))
    assert {"Set-level metrics", "Samples"} <= set(texts(at, "subheader"))
    imgs = at.get("image")
    assert len(imgs) == 4 * 6  # default indices 0-3, six cells each
    for col in ("HR (truth)", "LR input", "Full-VAE reconstruction", "SR · tiny-run", "Bicubic",
                "|SR − HR| · tiny-run"):
        assert titles(at).count(col) == 4
    assert sum("PSNR" in img.proto.imgs[0].caption for img in imgs) == 4 * 3
    for mode, widget, value in (("class", "cmp_class", 9), ("random", "cmp_seed", 3),
                                ("worst", None, None), ("best", None, None)):
        at.radio(key="cmp_mode").set_value(mode).run()
        if widget:
            getattr(at, "selectbox" if widget == "cmp_class" else "number_input")(key=widget).set_value(value).run()
        assert not at.exception and not texts(at, "error"), mode
        assert len(at.get("image")) == 6 * 6
    at.radio(key="cmp_mode").set_value("index").run()
    at.text_input(key="cmp_indices").input("3, 12345").run()
    assert any("out of range" in e for e in texts(at, "error")) and not at.exception
    # Saving the set-level numbers as the run's eval.json puts its PSNR into the Runs table.
    at.button(key="cmp_save_eval").click().run()
    saved = json.loads((runs / "tiny-run" / "eval.json").read_text())
    assert saved["n_images"] == 300 and saved["step"] == 20 and saved["model"]["psnr"] > 0
    assert saved["bicubic"]["psnr"] > 0
    row = page(RUNS).dataframe[0].value.set_index("Run").loc["tiny-run"]
    assert row["PSNR (dB)"] == f"{saved['model']['psnr']:.2f}"


def table_psnr(at) -> dict[str, str]:
    return dict(zip(at.table[0].value["Method"], at.table[0].value["PSNR (dB)"]))


def test_controls_answer_while_the_set_is_scored_and_the_table_matches_evaluate(runs, fresh_worker, gate):
    """The set-level scoring is held: the page and a control change still return (grid drawn, progress
    shown, no table yet); released, the table appears with sr_core.evaluate's numbers on the same N."""
    from sr_core.checkpoint import model_from_checkpoint
    from sr_core.data import load_split
    from sr_core.evaluate import evaluate

    at = page(COMPARE, cmp_limit=200, cmp_indices="0, 1")
    assert not at.exception and at.get("progress")
    assert table_psnr(at) == {"tiny-run: SR from LR (computing)": "…"}  # no numbers yet, a placeholder row
    assert len(at.get("image")) == 2 * 6  # the grid does not wait
    progress = at.get("progress")[0].proto
    assert "Scoring tiny-run: 0 / 400 images" in progress.text  # the model and the baselines, 200 each
    at.toggle(key="cmp_projection").set_value(True).run()
    assert not at.exception and at.get("progress") and table_psnr(at) == {"tiny-run: SR from LR (computing)": "…"}
    assert titles(at).count("SR + projection · tiny-run") == 2
    gate.set()
    settle(at)
    model, _ = model_from_checkpoint(runs / "tiny-run" / "checkpoint.pt")
    ref = evaluate(model, load_split("fashion-mnist", train=False, download=False), limit=200, projection=True)
    shown = table_psnr(at)
    assert shown["tiny-run: SR from LR"] == f"{ref['model']['psnr']:.2f}"
    assert shown["tiny-run: SR + LR projection"] == f"{ref['model+projection']['psnr']:.2f}"
    assert shown["tiny-run: full reconstruction (sees HR)"] == f"{ref['reconstruction']['psnr']:.2f}"
    assert shown["bicubic"] == f"{ref['bicubic']['psnr']:.2f}"
    ssim = dict(zip(at.table[0].value["Method"], at.table[0].value["SSIM"]))
    assert ssim["tiny-run: SR from LR"] == f"{ref['model']['ssim']:.4f}"


def test_stale_numbers_show_marked_and_a_superseded_request_never_overwrites(runs, fresh_worker, gate):
    gate.set()
    at = settle(page(COMPARE, cmp_limit=200, cmp_indices="0"))
    first = table_psnr(at)
    assert not any("(stale)" in m for m in first)
    gate.clear()  # hold the next requests
    at.number_input(key="cmp_limit").set_value(300).run()      # request A: N = 300 (held)
    at.number_input(key="cmp_limit").set_value(400).run()      # request B supersedes A
    # The last finished numbers stay visible, marked stale, while B computes.
    stale = table_psnr(at)
    assert stale["tiny-run: SR from LR (stale)"] == first["tiny-run: SR from LR"]
    assert any("stale" in c for c in texts(at, "caption")) and at.get("progress")
    gate.set()
    settle(at)
    w = fresh_worker
    assert any("first 400 of" in c for c in texts(at, "caption"))
    # A (N = 300) was abandoned, not finished after B: nothing of it in the cache, B's numbers shown.
    assert not any(key[4] == 300 for key in list(w._cache) if key[0] == "set")
    from sr_core.checkpoint import model_from_checkpoint
    from sr_core.data import load_split
    from sr_core.evaluate import evaluate

    model, _ = model_from_checkpoint(runs / "tiny-run" / "checkpoint.pt")
    ref = evaluate(model, load_split("fashion-mnist", train=False, download=False), limit=400)
    assert table_psnr(at)["tiny-run: SR from LR"] == f"{ref['model']['psnr']:.2f}"
    assert not any("(stale)" in m for m in table_psnr(at))


@pytest.fixture()
def noisy_model(monkeypatch):
    """A stochastic stand-in registered for one test: cnn-vae whose SR sees a noisy LR image."""
    from sr_core.models import base
    from sr_core.models.cnn_vae import CNNVAE

    class NoisyVAE(CNNVAE):
        """cnn-vae with seeded noise on the LR input (tests only)."""

        name = "test-noisy-vae"
        stochastic = True

        def super_resolve(self, x_lr, labels=None, generator=None, *, temperature=None):
            noise = torch.randn(x_lr.shape, generator=generator, device=x_lr.device) * 0.1
            return super().super_resolve((x_lr + noise).clamp(0, 1), labels, generator)

    monkeypatch.setitem(base._REGISTRY, NoisyVAE.name, NoisyVAE)  # removed again after the test
    return NoisyVAE


def test_compare_stochastic_model_shows_samples_and_std(runs, noisy_model, fresh_worker):
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


def test_compare_corrupt_checkpoint_is_an_error_for_that_run_only(runs, fresh_worker):
    bad = runs / "bad-ckpt"
    shutil.copytree(runs / "tiny-run", bad)
    (bad / "checkpoint.pt").write_bytes(b"not a checkpoint")
    at = page(COMPARE, cmp_limit=300, selected_run="bad-ckpt")
    assert not at.exception
    # The core's health check (list_runs(check=True)) keeps it out of the picker and names it instead.
    assert any("bad-ckpt" in c and "cannot be used" in c for c in texts(at, "caption"))
    assert "bad-ckpt" not in at.selectbox(key="cmp_run").options
    assert not texts(at, "error") and len(at.get("image")) == 24
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
    assert "was not found" in err and "no download was tried" in err and str(no_data.resolve()) in err
    assert not at.get("image") and not at.get("plotly_chart")


def test_compare_and_spectra_without_runs_open_a_shipped_checkpoint(empty_runs):
    for p in (COMPARE, SPECTRA):
        at = page(p)
        assert not at.exception
        assert at.radio(key=f"{'cmp' if p == COMPARE else 'spec'}_source").value == "Shipped checkpoint"
        assert at.selectbox(key=f"{'cmp' if p == COMPARE else 'spec'}_shipped").value == "cnn-vae"


def test_compare_several_shipped_models_projection_and_temperature(empty_runs, fresh_worker):
    """A newcomer's Compare: the shipped cnn-vae beside the shipped resnet-sr; add cvae-sr, project, cool."""
    require_data()
    at = settle(page(COMPARE, cmp_limit=100, cmp_indices="0, 1"))
    assert not at.exception and not texts(at, "error"), (at.exception, texts(at, "error"))
    assert at.multiselect(key="cmp_more").value == ["shipped · resnet-sr"]
    methods = list(at.table[0].value["Method"])
    assert methods[:3] == ["shipped · cnn-vae: SR from LR", "shipped · cnn-vae: full reconstruction (sees HR)",
                           "shipped · resnet-sr: SR from LR"]
    psnr = at.table[0].value.set_index("Method")["PSNR (dB)"].astype(float)
    assert psnr["shipped · resnet-sr: SR from LR"] > psnr["bicubic"] > psnr["shipped · cnn-vae: SR from LR"] - 1
    headers = [t for t in titles(at) if t.startswith("SR")]
    assert headers == ["SR · shipped · cnn-vae", "SR · shipped · resnet-sr"] * 2
    assert not at.get("slider") or "cmp_temperature" not in [w.key for w in at.slider]
    at.multiselect(key="cmp_more").select("shipped · cvae-sr").run()
    at.toggle(key="cmp_projection").set_value(True).run()
    settle(at)
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
    assert any("per-pixel std (max 0.000)" in (img.proto.imgs[0].caption or "") for img in at.get("image"))
    settle(at)
    table = at.table[0].value.set_index("Method")
    assert float(table.loc["shipped · cvae-sr: SR from LR", "Diversity (mean std)"]) == 0 < before


def test_compare_and_spectra_trained_run_source_without_runs_points_to_train(empty_runs):
    for p, k in ((COMPARE, "cmp"), (SPECTRA, "spec")):
        at = page(p)
        at.radio(key=f"{k}_source").set_value("Trained run").run()
        assert not at.exception and any("No trained run" in i for i in texts(at, "info"))


@pytest.mark.parametrize("model_name", model_names())
def test_compare_and_spectra_work_for_every_registered_model(model_name, tmp_path, monkeypatch, fresh_worker):
    """Any model in the registry plugs into the pages (4 batches of training are enough to have weights)."""
    require_data()
    root = tmp_path / "runs"
    monkeypatch.setenv("SR_RUNS_DIR", str(root))
    cfg = preset_config("tiny", model=model_name, steps=4, eval_every=4, eval_limit=100, checkpoint_every=4)
    trainer, run = prepare_run(cfg, runs_dir=root, name=f"every-{model_name}")
    job = TrainJob(trainer, run, torch_threads=1).start()
    assert job.join(120) and job.status == "finished", job.snapshot().error
    at = settle(page(COMPARE, cmp_limit=100, cmp_indices="0"))
    assert not at.exception and not texts(at, "error"), (at.exception, texts(at, "error"))
    cls = model_class(model_name)
    assert len(at.table[0].value) == 4 + cls.has_reconstruction + cls.has_classifier
    assert len(at.get("image")) == (6 if model_class(model_name).has_reconstruction else 5) + (
        7 if model_class(model_name).stochastic else 0)  # one grid row (+ 6 samples and their std)
    if model_class(model_name).stochastic:
        assert any(img.proto.imgs[0].caption.startswith("per-pixel std") for img in at.get("image"))
    at = settle(page(SPECTRA, spec_limit=100))
    assert not at.exception and len(at.get("plotly_chart")) == 7


def test_compare_with_a_broken_extra_model_keeps_the_others(runs, fresh_worker):
    bad = runs / "bad-ckpt"
    shutil.copytree(runs / "tiny-run", bad)
    (bad / "checkpoint.pt").write_bytes(b"not a checkpoint")
    at = settle(page(COMPARE, cmp_limit=100, cmp_indices="0", selected_run="tiny-run",
                     cmp_more=["bad-ckpt", "shipped · resnet-sr"]))
    assert not at.exception
    # The core's health check keeps the broken run out of the choices (named in a caption instead).
    assert not texts(at, "error") and "bad-ckpt" not in at.multiselect(key="cmp_more").options
    assert any("bad-ckpt" in c and "cannot be used" in c for c in texts(at, "caption"))
    methods = list(at.table[0].value["Method"])
    assert "tiny-run: SR from LR" in methods and "shipped · resnet-sr: SR from LR" in methods
    assert not any(m.startswith("bad-ckpt") for m in methods)


def test_score_the_full_test_set_runs_in_the_background_and_stops(runs, fresh_worker, gate):
    at = page(COMPARE, cmp_indices="0")
    assert at.number_input(key="cmp_limit").value == 1000  # the live table's default N
    at.button(key="cmp_score_all").click().run()
    assert at.number_input(key="cmp_limit").value == 10_000
    assert "/ 20,000 images" in at.get("progress")[0].proto.text  # the model and the baselines, 10,000 each
    assert any("first 10,000 of 10,000 test images" in c for c in texts(at, "caption"))
    assert len(at.get("image")) == 6  # the grid is there meanwhile
    at.button(key="cmp_stop").click().run()
    assert any("stopped" in w for w in texts(at, "warning")) and not at.get("progress")
    assert not fresh_worker._wanted  # nothing left to compute
    at.button(key="cmp_stop").click().run()  # Resume
    assert at.get("progress") and fresh_worker._wanted
    gate.set()
