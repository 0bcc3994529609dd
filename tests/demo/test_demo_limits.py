"""The demo checks sizes and counts before it decodes (uploads, sketchpad background/layers/blobs, data:
URLs), names API arguments of the wrong type, refuses a NaN temperature, follows runs trained after it
started, keeps its output folder bounded — memory measured where a limit protects it."""
from __future__ import annotations

import base64
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from tests.demo_support import RUN_NAME, demo_url  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = sorted((ROOT / "assets" / "examples").glob("*.png"))[0]


def png_bomb(path: Path, side: int = 10000) -> Path:
    """A valid grey PNG of side×side zero pixels (~97 KB on disk), written without allocating it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    comp, row, idat = zlib.compressobj(9), b"\0" * (side + 1), []
    for _ in range(side):
        idat.append(comp.compress(row))
    idat.append(comp.flush())
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return png_bomb(tmp_path_factory.mktemp("bomb") / "bomb.png")


def _sketchpad():
    from ui.demo.inputs import BoundedSketchpad

    return BoundedSketchpad(type="numpy", image_mode="RGB", canvas_size=(280, 280), render=False)


def _editor(background=None, layers=(), composite=None):
    from gradio.components.image_editor import EditorData
    from gradio.data_classes import FileData

    fd = lambda p: None if p is None else FileData(path=str(p))  # noqa: E731
    return EditorData(background=fd(background), layers=[fd(x) for x in layers], composite=fd(composite))


def test_the_bomb_is_small_on_disk_and_huge_in_its_header(bomb: Path) -> None:
    assert bomb.stat().st_size < 200_000
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(bomb) as im:
            assert im.size == (10000, 10000)


@pytest.mark.parametrize("where", ["background", "layer", "composite", "upload"])
def test_a_png_bomb_is_refused_from_its_header_without_allocating(bomb: Path, where: str) -> None:
    """In a fresh process: the refusal raises the peak memory by < 60 MB (a decode would take >= 100 MB
    for the grey image, 300 MB as RGB; measured before: 1.4 -> 3.3 GB)."""
    call = {"background": "sp.preprocess(_editor(background=bomb))",
            "layer": "sp.preprocess(_editor(layers=[bomb]))",
            "composite": "sp.preprocess(_editor(composite=bomb))",
            "upload": "decode_image(bomb)"}[where]
    probe = ("import resource, sys\nfrom pathlib import Path\nsys.path.insert(0, '.')\n"
             "from tests.demo.test_demo_limits import _sketchpad, _editor\nfrom sr_core.imaging.io import decode_image\n"
             f"bomb = Path({str(bomb)!r})\nsp = _sketchpad()\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             f"try:\n    {call}\n    print('accepted')\nexcept Exception as e:\n    print(type(e).__name__, '|', e)\n"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    first, grew_kb = out.stdout.strip().splitlines()
    assert first.split(" | ")[0] in ("Error", "ImageInputError"), out.stdout + out.stderr
    assert "10000×10000" in first and "limit" in first
    assert int(grew_kb) < 60_000


def test_too_many_layers_are_refused() -> None:
    from ui.demo.inputs import MAX_LAYERS

    small = EXAMPLE
    with pytest.raises(gr.Error, match=f"{MAX_LAYERS + 1} layers, above the limit of {MAX_LAYERS}"):
        _sketchpad().preprocess(_editor(layers=[small] * (MAX_LAYERS + 1)))
    out = _sketchpad().preprocess(_editor(background=small, layers=[small] * 2, composite=small))
    assert out["composite"].shape == (28, 28, 3) and len(out["layers"]) == 2


def test_blob_route_bounds_index_size_and_pending_drawings() -> None:
    from ui.demo.inputs import MAX_LAYERS, MAX_PENDING_BLOBS

    sp = _sketchpad()
    png = EXAMPLE.read_bytes()
    blob = lambda i, index, kind="layer", data=png: SimpleNamespace(  # noqa: E731
        data={"type": kind, "index": index, "id": f"d{i}"}, files=[("blob", data)])
    with pytest.raises(gr.Error, match="outside"):
        sp.accept_blobs(blob(0, str(10**9)))  # was: a list of 10**9 entries
    with pytest.raises(gr.Error, match="whole number"):
        sp.accept_blobs(blob(0, "x"))
    with pytest.raises(gr.Error, match="MiB"):
        sp.accept_blobs(blob(0, "null", "background", b"\0" * (20 * 2**20 + 1)))
    for i in range(MAX_PENDING_BLOBS + 5):
        sp.accept_blobs(blob(i, str(MAX_LAYERS - 1)))
    assert len(sp.blob_storage) == MAX_PENDING_BLOBS and "d0" not in sp.blob_storage


def test_a_100_mib_data_url_is_refused_before_decoding() -> None:
    from ui.demo.inputs import ImageFile

    url = "data:image/png;base64," + "A" * (100 * 2**20)
    payload = SimpleNamespace(url=url, path=None)
    field = ImageFile(type="filepath", render=False)
    tracemalloc.start()
    try:
        with pytest.raises(gr.Error, match="100 MiB data URL, above the 20 MiB"):
            field.preprocess(payload)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 * 2**20  # nothing decoded (before: +630 MB)
    ok = "data:image/png;base64," + base64.b64encode(EXAMPLE.read_bytes()).decode()
    assert field.preprocess(SimpleNamespace(url=ok, path=None)) == EXAMPLE.read_bytes()


def test_prune_outputs_keeps_the_newest(tmp_path, monkeypatch) -> None:
    import demo

    monkeypatch.setattr(demo, "OUT_DIR", tmp_path)
    for i in range(12):
        (tmp_path / f"sr_m_{i:02d}.png").write_bytes(b"x")
        import os
        os.utime(tmp_path / f"sr_m_{i:02d}.png", (1000 + i, 1000 + i))
    assert demo.prune_outputs(keep=5) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"sr_m_{i:02d}.png" for i in range(7, 12)]
    demo._save_png(np.asarray(Image.open(EXAMPLE), dtype=np.float32) / 255.0, "m")
    assert len(list(tmp_path.glob("sr_*.png"))) <= demo.MAX_OUTPUTS


@pytest.fixture(scope="module")
def client(demo_url: str):  # noqa: F811
    from gradio_client import Client

    return Client(demo_url, verbose=False)


@pytest.mark.parametrize("args, words", [
    ((None, "lr", "box", 0.5, 1, 0), "argument 'model' must be a text"),
    ((["resnet-sr"], "lr", "box", 0.5, 1, 0), "argument 'model' must be a text"),
    (("resnet-sr", "lr", "box", 0.5, 1, None), "argument 'seed' must be a number"),
    (("cvae-sr", "lr", "box", "warm", 1, 0), "argument 'temperature' must be a number"),
    (("resnet-sr", "sideways", "box", 0.5, 1, 0), "'sideways' (type: <class 'str'>) is not in the list of choices"),
    (("resnet-sr", 3, "box", 0.5, 1, 0), "is not in the list of choices: ['lr', 'truth']"),
    (("resnet-sr", "lr", "box", 0.5, 0, 0), "argument 'samples' must be a whole number from 1"),
])
def test_api_arguments_of_the_wrong_type_are_named(client, args, words) -> None:
    from gradio_client import handle_file

    with pytest.raises(Exception) as err:
        client.predict(handle_file(str(EXAMPLE)), *args, api_name="/upscale")
    msg = str(err.value)
    assert words in msg and "internal error" not in msg and "\n" not in msg.strip(), msg


@pytest.mark.parametrize("t", [float("nan"), float("inf"), -float("inf")])
def test_a_nan_temperature_is_refused_not_zero(t) -> None:
    """gradio_client will not send NaN; a raw JSON body can (Python's parser takes NaN): the function says so."""
    import demo

    with pytest.raises(gr.Error, match="argument 'temperature' must be a finite number"):
        demo.api_upscale(str(EXAMPLE), "cvae-sr", "lr", "box", t, 1, 0)


def test_a_run_trained_after_the_demo_started_is_served(client, tmp_path) -> None:
    import os

    from gradio_client import handle_file
    from tests.demo_support import make_tiny_run

    runs = Path(os.environ["SR_RUNS_DIR"])
    (runs / RUN_NAME).rename(runs / "older")  # make_tiny_run's name, free again
    try:
        make_tiny_run(runs)
        (runs / RUN_NAME).rename(runs / "later-run")
    finally:
        (runs / "older").rename(runs / RUN_NAME)
    png, info = client.predict(handle_file(str(EXAMPLE)), "run:later-run", api_name="/upscale")
    assert Image.open(png).size == (56, 56) and info["model"] == "run:later-run"
