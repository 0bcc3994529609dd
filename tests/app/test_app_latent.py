"""App tests: the Latent page on the shipped checkpoints (AppTest; see tests/app_support.py)."""
from __future__ import annotations

import time

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    require_data, page, texts, fresh_registry, empty_runs,
)

LATENT = "pages/latent.py"
PANELS = 8


def _captions(at) -> list[str]:
    return [c for e in at.get("image") for c in _img_captions(e)]


def _img_captions(e) -> list[str]:
    return [img.caption for img in e.proto.imgs]


def test_latent_page_shows_the_latent_beside_lr_with_numbers(empty_runs):
    require_data()
    at = page(LATENT)
    assert not at.exception and not texts(at, "error"), (at.exception, texts(at, "error"))
    caps = _captions(at)
    # 3 samples (indices 0, 1, 2) x 8 panels, then 2 heat-scale bars, 2 interpolation strips, 1 noise strip.
    assert len(caps) == 3 * PANELS + 2 + 2 + 1
    mu_caps = [c for c in caps if c.startswith("PSNR vs LR")]
    assert len(mu_caps) == 6  # mu and z of each sample
    mu_psnr = [float(c.split()[3]) for c in mu_caps]
    assert all(20.0 < v < 50.0 for v in mu_psnr), mu_psnr  # shipped cnn-vae: mu ~ LR (~29 dB on the set)
    assert caps[0].startswith("#0 · ")
    interp = [c for c in caps if "latents on the line" in c]
    assert len(interp) == 2 and all("8 latents" in c for c in interp)


def test_latent_page_selection_modes(empty_runs):
    require_data()
    at = page(LATENT)
    at.radio(key="lat_mode").set_value("class").run()
    at.number_input(key="lat_count").set_value(2).run()
    assert not at.exception
    assert len([c for c in _captions(at) if c.startswith("#")]) == 2
    at.radio(key="lat_mode").set_value("random").run()
    assert not at.exception and len([c for c in _captions(at) if c.startswith("#")]) == 2
    at.radio(key="lat_mode").set_value("index").run()
    at.text_input(key="lat_indices").input("4, 7").run()
    assert [c.split(" · ")[0] for c in _captions(at) if c.startswith("#")] == ["#4", "#7"]


def test_latent_noise_slider_changes_the_output(empty_runs):
    require_data()
    at = page(LATENT)
    before = [c for c in _captions(at) if c.startswith("decoder(LR + noise)")]
    at.select_slider(key="lat_noise").set_value(100.0).run()
    after = [c for c in _captions(at) if c.startswith("decoder(LR + noise)")]
    assert len(before) == len(after) == 1 and before != after


def test_latent_set_table_is_computed_in_the_background(empty_runs):
    require_data()
    at = page(LATENT, lat_limit=200)
    at.button(key="lat_start").click().run()
    end = time.monotonic() + 120
    while not at.table and time.monotonic() < end:
        time.sleep(0.5)
        at.run()
    assert not at.exception and at.table, "the set-level latent table never appeared"
    rows = at.table[0].value
    quantities = list(rows["quantity"])
    assert quantities[0].startswith("PSNR(μ, LR)") and any("latent gap" in q for q in quantities)
    assert any("200 test images. Protocol:" in c for c in texts(at, "caption"))


def test_latent_page_explains_models_without_a_latent(empty_runs):
    require_data()
    at = page(LATENT, lat_source="Shipped checkpoint")
    at.selectbox(key="lat_shipped").set_value("resnet-sr").run()
    assert not at.exception
    assert any("has no latent image" in t for t in texts(at, "info"))


def test_latent_page_shows_the_deep_models_latent_gap(empty_runs):
    """cnn-vae-deep: decoder(mu) well above decoder(LR) (5.0 dB on the first 2,000 test images)."""
    require_data()
    at = page(LATENT, lat_source="Shipped checkpoint")
    at.selectbox(key="lat_shipped").set_value("cnn-vae-deep").run()
    assert not at.exception and not texts(at, "error")
    caps = _captions(at)
    dec = [float(c.split(" dB")[0]) for c in caps if " dB / " in c]  # decoder(mu), decoder(LR) per sample
    dec_mu, dec_lr = dec[0::2], dec[1::2]
    assert len(dec_mu) == len(dec_lr) == 3
    assert sum(dec_mu) / 3 > sum(dec_lr) / 3 + 2.0
