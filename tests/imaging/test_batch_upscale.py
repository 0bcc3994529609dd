"""``python -m sr_core upscale``: files and folders, mirrored tree, bad files counted, resume, equal to the API."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sr_core.imaging.batch import plan
from sr_core.cli.main import main
from sr_core.errors import UserError
from _synthetic import random_image_file


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    random_image_file(root / "a.png", 20, 24, 0, rgb=True)
    random_image_file(root / "sub" / "b.jpg", 18, 30, 1, fmt="JPEG", rgb=True)
    random_image_file(root / "sub" / "deeper" / "c.bmp", 16, 16, 2, rgb=False, fmt="BMP")
    (root / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (root / "readme.txt").write_text("skip me: not an image suffix")
    return root


def _run(args: list[str], capsys) -> tuple[int, dict]:
    rc = main(["upscale", *args, "--json", "--no-progress"])
    return rc, json.loads(capsys.readouterr().out)


def test_folder_tree_is_mirrored_bad_files_counted_and_resumed(tree: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    rc, res = _run([str(tree), "--out", str(out), "--model", "resnet-sr"], capsys)
    assert rc == 1 and res["written"] == 3 and res["bad_skipped"] == 1 and res["files"] == 4
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert files == ["a.png", "sub/b.png", "sub/deeper/c.png"]
    assert Image.open(out / "sub" / "b.png").size == (60, 36)  # 2×, colour kept
    assert Image.open(out / "sub" / "b.png").mode == "RGB" and Image.open(out / "sub/deeper/c.png").mode == "L"
    before = os.stat(out / "a.png").st_mtime_ns
    rc, res = _run([str(tree), "--out", str(out), "--model", "resnet-sr"], capsys)
    assert res["written"] == 0 and res["existing_skipped"] == 3 and os.stat(out / "a.png").st_mtime_ns == before
    rc, res = _run([str(tree / "a.png"), "--out", str(out), "--model", "resnet-sr", "--overwrite"], capsys)
    assert rc == 0 and res["written"] == 1


def test_output_equals_the_api(tree: Path, tmp_path: Path, capsys) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import demo

    out = tmp_path / "out"
    for model in ("cvae-sr", "cnn-vae"):
        for mode in ("lr", "truth"):
            _run([str(tree / "sub" / "b.jpg"), "--out", str(out), "--model", model, "--mode", mode, "--overwrite"],
                 capsys)
            png, info = demo.api_upscale(str(tree / "sub" / "b.jpg"), model, mode)
            assert Path(png).read_bytes() == (out / "b.png").read_bytes(), (model, mode)


def test_truth_mode_scores_every_file(tree: Path, tmp_path: Path, capsys) -> None:
    rc, res = _run([str(tree / "a.png"), str(tree / "sub" / "deeper"), "--out", str(tmp_path / "o"),
                    "--model", "resnet-sr", "--mode", "truth"], capsys)
    assert rc == 0 and len(res["scores"]) == 2 and "Y" in res["protocol"] and "crop_border" in res["protocol"]
    assert all(np.isfinite(s["sr"]["psnr"]) and np.isfinite(s["bicubic"]["psnr"]) for s in res["scores"])
    assert Image.open(tmp_path / "o" / "a.png").size == (24, 20)  # truth mode: the image's own size


def test_missing_input_or_no_images_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["upscale", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--model", "resnet-sr"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no image files"):
        plan([str(tmp_path / "empty")], tmp_path / "o")
    random_image_file(tmp_path / "d" / "x.png", 8, 8, 0, rgb=True)
    random_image_file(tmp_path / "d" / "x.jpg", 8, 8, 1, fmt="JPEG", rgb=True)
    dsts = [d.name for _, d in plan([str(tmp_path / "d")], tmp_path / "o")]
    assert sorted(dsts) == ["x.jpg.png", "x.png"] or sorted(dsts) == ["x.png", "x.png.png"]
