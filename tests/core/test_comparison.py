"""Several models side by side (ui.compare, ui.set_level) and shipped-checkpoint listing, on synthetic data."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sr_core.data import Split
from sr_core.models import build_model
from sr_core.projection import box_down
from sr_core.runs.shipped import list_shipped
from ui.labels import SHIPPED_PREFIX
from ui import compare as comparison
from ui import set_level, spectra


def fake_split(n: int = 12) -> Split:
    g = torch.Generator().manual_seed(0)
    imgs = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    return Split(name="fashion-mnist", train=False, images=imgs, labels=torch.arange(n) % 10,
                 classes=tuple("abcdefghij"))


def models() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {"vae": build_model("cnn-vae", {}).eval(), "cvae": build_model("cvae-sr", {}).eval(),
            "res": build_model("resnet-sr", {}).eval()}


@pytest.mark.parametrize("projection", [False, True])
def test_compare_grid_has_a_column_per_model(projection):
    res = comparison.compare_grid(models(), fake_split(), [0, 7], projection=projection, temperature=0.3)
    keys = [c["key"] for c in res["columns"]]
    sr_cols = ["sr:vae", "proj:vae", "sr:cvae", "proj:cvae", "sr:res", "proj:res"]
    if not projection:
        sr_cols = [k for k in sr_cols if not k.startswith("proj:")]
    assert keys == ["hr", "lr", "recon", *sr_cols, "bicubic", "error"]
    cols = {c["key"]: c for c in res["columns"]}
    assert cols["lr"]["images"].shape == (2, 14, 14) and cols["sr:res"]["images"].shape == (2, 28, 28)
    assert res["labels"] == ["a", "h"] and cols["sr:cvae"]["psnr"].shape == (2,)
    assert np.allclose(cols["error"]["images"], np.abs(cols["sr:vae"]["images"] - cols["hr"]["images"]))
    if projection:  # every projected column box-downsamples exactly to the LR input
        lr = torch.from_numpy(cols["lr"]["images"])
        for k in ("proj:vae", "proj:cvae"):
            down = box_down(torch.from_numpy(cols[k]["images"]).unsqueeze(1)).squeeze(1)
            assert torch.allclose(down, lr, atol=1e-5), k
            assert cols[k]["lr_psnr"].min() > 80


def test_compare_grid_temperature_reaches_only_models_that_take_it():
    m = models()
    cold = comparison.compare_grid(m, fake_split(), [3], temperature=0.0)
    warm = comparison.compare_grid(m, fake_split(), [3], temperature=1.5)
    col = lambda res, k: next(c for c in res["columns"] if c["key"] == k)["images"]  # noqa: E731
    assert not np.allclose(col(cold, "sr:cvae"), col(warm, "sr:cvae"))
    assert np.array_equal(col(cold, "sr:res"), col(warm, "sr:res"))
    assert m["cvae"].takes_temperature and not m["res"].takes_temperature
    with pytest.raises(ValueError):
        comparison.compare_grid({}, fake_split(), [0])


@pytest.mark.parametrize("temperature, zero_spread", [(0.0, True), (1.0, False)])
def test_diversity_samples_follow_the_temperature(temperature, zero_spread):
    cvae = models()["cvae"]
    lr = torch.rand(1, 1, 14, 14, generator=torch.Generator().manual_seed(2))
    samples, std = comparison.diversity_samples(cvae, lr, 4, temperature=temperature)
    assert samples.shape == (4, 28, 28) and std.shape == (28, 28)
    assert (float(std.max()) == 0.0) == zero_spread
    again, _ = comparison.diversity_samples(cvae, lr, 4, temperature=temperature)
    assert np.array_equal(samples, again)


def test_compare_table_rows_and_stochastic_columns():
    a = np.array
    per_vae = {"model": {"psnr": a([20.0, 22.0]), "ssim": a([0.5, 0.7]), "lr_psnr": a([30.0, 32.0])},
               "reconstruction": {"psnr": a([25.0]), "ssim": a([0.9])},
               "nearest": {"psnr": a([18.0]), "ssim": a([0.6]), "lr_psnr": a([np.inf])},
               "bicubic": {"psnr": a([19.0]), "ssim": a([0.7]), "lr_psnr": a([31.0])}}
    per_cvae = {"model": {"psnr": a([24.0]), "ssim": a([0.9]), "lr_psnr": a([160.0]), "diversity": a([0.01]),
                          "best_of_8_psnr": a([25.5])},
                "model+projection": {"psnr": a([24.1]), "ssim": a([0.9]), "lr_psnr": a([161.0])},
                "bicubic": {"psnr": a([99.0]), "ssim": a([0.1]), "lr_psnr": a([1.0])}}
    rows = set_level.compare_table({"vae": per_vae, "cvae": per_cvae})
    assert [r["Method"] for r in rows] == ["vae: SR from LR", "vae: full reconstruction (sees HR)",
                                           "cvae: SR from LR", "cvae: SR + LR projection", "nearest", "bicubic"]
    by = {r["Method"]: r for r in rows}
    assert by["vae: SR from LR"]["PSNR (dB)"] == "21.00" and by["vae: SR from LR"]["LR-PSNR (dB)"] == "31.00"
    assert by["nearest"]["LR-PSNR (dB)"] == "∞" and by["bicubic"]["PSNR (dB)"] == "19.00"  # primary's baselines
    assert by["cvae: SR from LR"]["Diversity (mean std)"] == "0.0100"
    assert by["cvae: SR from LR"]["Best-of-8 PSNR (dB)"] == "25.50"
    assert by["vae: SR from LR"]["Diversity (mean std)"] == "–"
    assert "Diversity (mean std)" not in set_level.compare_table({"vae": per_vae})[0]


def test_list_shipped_reads_side_files(tmp_path):
    good = tmp_path / "resnet-sr"
    good.mkdir()
    (good / "checkpoint.pt").write_bytes(b"x")
    (good / "config.json").write_text(json.dumps({"train": {"model": "resnet-sr", "preset": "resnet-sr-long",
                                                            "steps": 16000}}))
    (good / "eval.json").write_text(json.dumps({"n_images": 10000, "model": {"psnr": 26.1, "ssim": 0.93}}))
    (good / "train_time.json").write_text(json.dumps({"steps": 16000, "train_s": 900.0, "train_img_s": 570.0}))
    bare = tmp_path / "cnn-vae"
    bare.mkdir()
    (bare / "checkpoint.pt").write_bytes(b"x")
    (bare / "eval.json").write_text("{not json")
    (tmp_path / "no-checkpoint").mkdir()
    rows = {r["name"]: r for r in list_shipped(tmp_path)}
    assert set(rows) == {"resnet-sr", "cnn-vae"}
    r = rows["resnet-sr"]
    assert r["shipped"] and r["name"] == "resnet-sr" and r["preset"] == "resnet-sr-long"
    assert (r["psnr"], r["ssim"], r["step"], r["train_s"]) == (26.1, 0.93, 16000, 900.0)
    assert rows["cnn-vae"]["psnr"] is None and rows["cnn-vae"]["model"] == "cnn-vae" and not rows["cnn-vae"]["error"]


def test_the_project_ships_a_checkpoint_per_model():
    """Every registry model has a shipped Fashion-MNIST checkpoint scored on the full test set; folders are
    labels (cnn-vae-photo), the model is config.json's; photo models are listed too, their photo score kept
    out of the Fashion-MNIST PSNR."""
    from sr_core.models import model_names

    rows = list_shipped()
    fashion = [r for r in rows if r["dataset"] == "fashion-mnist"]
    assert {r["model"] for r in fashion} == set(model_names())
    assert all(r["psnr"] is not None and r["n_eval_images"] == 10000 for r in fashion)
    photo = [r for r in rows if r["dataset"] == "photos"]
    assert {r["name"] for r in rows} == {r["name"] for r in fashion + photo}
    assert all(r["model"] in model_names() for r in rows)
    for r in photo:
        assert r["psnr"] is None and r["ssim"] is None and r["eval_dataset"] == "photos"
        assert r["photo_psnr"] is not None and r["gain_db"] is not None


def test_overlay_spectra_puts_every_model_on_one_chart():
    from ui.spectra import spectra_outputs, spectra_summary

    split = fake_split()
    summaries = {label: spectra_summary(spectra_outputs(m, split, slice(0, 6))) for label, m in models().items()}
    profiles, hf = spectra.overlay_spectra(summaries)
    assert list(profiles) == ["HR", "LR", "Bicubic", "SR · vae", "SR · cvae", "SR · res"]
    assert list(hf) == list(profiles)
    radii, power = profiles["SR · res"]
    assert np.array_equal(power, summaries["res"]["radial"]["Decoder-only SR"][1]) and len(radii) == len(power)
    assert hf["HR"] == summaries["vae"]["hf_share"]["HR"] == summaries["res"]["hf_share"]["HR"]
    assert spectra.overlay_spectra({}) == ({}, {})


def test_set_request_reads_the_pages_settings_and_score_all_lifts_n():
    split, loaded = fake_split(), [set_level.LoadedModel(k, m, (k, 0.0, 0)) for k, m in models().items()]
    state = {"cmp_temperature": 0.3, "cmp_projection": True}
    set_level.init_table_settings(state, len(split))
    req = set_level.set_request(state, loaded, split, "fashion-mnist", "box")
    assert (req.limit, req.projection, req.temperature) == (len(split), True, 0.3)  # N capped at the split
    assert set_level.set_request(state, loaded, split, "fashion-mnist", "bicubic").projection is False
    state.update(cmp_limit=5, cmp_paused=True)
    assert set_level.set_request(state, loaded[2:], split, "fashion-mnist", "box").temperature is None
    set_level.score_all(state)
    assert state["cmp_limit"] == len(split) and state["cmp_paused"] is False


def test_save_eval_writes_the_primarys_numbers_only_for_a_trained_run(tmp_path):
    a = np.array
    run = tmp_path / "run"
    run.mkdir()
    assert set_level.eval_run_dir(run / "checkpoint.pt", "run") is None  # no config.json: not a run
    (run / "config.json").write_text("{}")
    assert set_level.eval_run_dir(run / "checkpoint.pt", "run") == run.resolve()
    assert set_level.eval_run_dir(run / "checkpoint.pt", f"{SHIPPED_PREFIX}cnn-vae") is None
    split, vae = fake_split(), models()["vae"]
    req = set_level.SetRequest((set_level.LoadedModel("run", vae, ("k", 0.0, 0)),), split, "fashion-mnist",
                               "box", 2, False, None)
    metrics = {"psnr": a([20.0, 22.0]), "ssim": a([0.5, 0.7]), "lr_psnr": a([30.0, 32.0])}
    per = {"run": {"model": metrics}, set_level.BASELINES: {"bicubic": metrics}}
    path, result = set_level.save_eval(run, req, per, step=9)
    assert json.loads(path.read_text())["model"]["psnr"] == result["model"]["psnr"] == 21.0
    assert result["step"] == 9 and result["n_images"] == 2


def test_grid_cell_captions_and_pngs():
    res = comparison.compare_grid(models(), fake_split(), [0, 1])
    by_key = {c["key"]: c for c in res["columns"]}
    assert comparison.cell_caption(by_key["hr"], res, 1) == f"#1 · {res['labels'][1]}"
    assert comparison.cell_caption(by_key["sr:vae"], res, 0).startswith("PSNR ")
    assert comparison.cell_png(by_key["lr"], 0).startswith(b"\x89PNG")
    assert "white-space:nowrap" in comparison.title_html("cnn-vae SR") and "&lt;" in comparison.title_html("<b>")
