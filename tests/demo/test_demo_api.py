"""The demo's HTTP API through gradio_client against a real server: every model and both modes give the
right sizes, "truth" mode's PSNR is sr_core's on the same image, bad files get their one-line message and
the server keeps serving."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sr_core.checkpoint import model_from_checkpoint
from sr_core.degrade import box_downsample
from sr_core.metrics import psnr
from sr_core.runs.catalog import resolve
from sr_core.runs.shipped import shipped_checkpoints
from tests.demo_support import RUN_NAME, demo_url  # noqa: F401  (fixture)

EXAMPLE = sorted((Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.png"))[0]  # 28x28 grey
MODELS = sorted(shipped_checkpoints()) + [f"run:{RUN_NAME}"]
FIXED = {"cnn-vae", "cnn-vae-paper", "cnn-vae-class"}


@pytest.fixture(scope="module")
def client(demo_url: str):  # noqa: F811
    from gradio_client import Client

    return Client(demo_url, verbose=False)


def test_every_model_is_offered(client) -> None:
    params = client.view_api(return_format="dict")["named_endpoints"]["/upscale"]["parameters"]
    model_param = next(p for p in params if p["parameter_name"] == "model_name")
    assert set(MODELS) <= set(model_param["type"]["enum"]) and "cvae-sr" in MODELS


@pytest.mark.parametrize("mode", ["lr", "truth"])
@pytest.mark.parametrize("model_name", MODELS)
def test_api_sizes_and_truth_psnr(client, model_name: str, mode: str) -> None:
    from gradio_client import handle_file

    png, info = client.predict(handle_file(str(EXAMPLE)), model_name, mode, api_name="/upscale")
    out = Image.open(png)
    expected = (28, 28) if mode == "truth" else (56, 56)  # the CNN-VAEs too: whole image, 14×14 tiles blended
    assert out.size == expected and out.format == "PNG"
    assert info["output_size"] == list(expected) and info["fitted_to_14x14"] is False
    if mode == "lr":
        assert info["metrics"] == {}
        return
    # The same image through sr_core directly: box-downsample, super_resolve (seed 0, the API's default
    # temperature for models that take one), PSNR per image.
    hr = torch.from_numpy(np.asarray(Image.open(EXAMPLE), dtype=np.float32) / 255.0)[None, None]
    model, _ = model_from_checkpoint(resolve(model_name))
    kw = {"temperature": 0.5} if model.takes_temperature else {}
    with torch.no_grad():
        sr = model.super_resolve(box_downsample(hr), generator=torch.Generator().manual_seed(0), **kw).clamp(0, 1)
    assert info["metrics"]["sr"]["psnr"] == pytest.approx(float(psnr(sr, hr)[0]), abs=1e-4)
    assert "per image" in info["protocol"] and "Y" in info["protocol"]
    sr_png = np.asarray(out, dtype=np.float32) / 255.0
    assert np.abs(sr_png - sr[0, 0].numpy()).max() <= 0.5 / 255 + 1e-6  # the PNG is the SR image


@pytest.mark.parametrize("content, words", [
    (b"", "empty"), (b"just some text, renamed\n", "not an image"),
])
def test_bad_file_is_one_line_and_server_keeps_serving(client, tmp_path: Path, content: bytes, words: str) -> None:
    from gradio_client import handle_file

    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    with pytest.raises(Exception) as err:
        client.predict(handle_file(str(bad)), "resnet-sr", api_name="/upscale")
    assert words in str(err.value) and "Traceback" not in str(err.value)
    png, _ = client.predict(handle_file(str(EXAMPLE)), "resnet-sr", api_name="/upscale")
    assert Image.open(png).size == (56, 56)


def test_unknown_model_names_the_choices(client) -> None:
    from gradio_client import handle_file

    with pytest.raises(Exception, match="not in the list of choices|unknown model|is not a checkpoint file, a run"):
        client.predict(handle_file(str(EXAMPLE)), "no-such-model", api_name="/upscale")


def test_colour_photo_round_trip(client, tmp_path: Path) -> None:
    from gradio_client import handle_file

    rgb = (np.random.default_rng(0).random((30, 44, 3)) * 255).astype(np.uint8)
    path = tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(path, quality=90)
    png, info = client.predict(handle_file(str(path)), "cvae-sr", "lr", "box", 0.3, 2, 1, api_name="/upscale")
    assert Image.open(png).size == (88, 60) and Image.open(png).mode == "RGB"
    assert info["samples"] == 2 and any("luminance" in n for n in info["notes"])


def test_page_and_api_share_one_bounded_queue_slot() -> None:
    """Two users (or the page and an API client) cannot super-resolve at once: one slot, a bounded queue."""
    import demo

    app = demo.build_demo()
    sr = [f for f in app.fns.values() if f.name in ("ui_upscale", "api_upscale")]
    assert sorted(f.name for f in sr) == ["api_upscale", "ui_upscale"]
    assert {f.concurrency_id for f in sr} == {"sr"} and {f.concurrency_limit for f in sr} == {1}
    assert app._queue.max_size == 32
