"""Malformed files are contained (CLI): each bad run is one line, every other run keeps working; and
the honest limits: unavailable devices (no run folder made), seed range, finite KL weight, an unusable
runs folder, IDX files of the wrong content, index ranges parsed without materialising, localhost only."""
from __future__ import annotations

import re
import struct
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch

from _corpus import BROKEN, make_corpus
from _runs import train
from sr_core import device as device_mod
from sr_core.cli.main import main
from sr_core.data import load_split
from sr_core.errors import UserError
from sr_core.runs.listing import list_runs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(data_dir, tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    good = train(tmp_path_factory.mktemp("good"), "good", steps=2)
    return make_corpus(good.path, tmp_path_factory.mktemp("corpus") / "runs")


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def test_list_names_every_bad_run_and_shows_the_good_one(corpus, capsys) -> None:
    rows = {r["name"]: r for r in list_runs(corpus, check=True)}
    assert rows["good"]["error"] == "" and rows["good"]["status"] == "finished"
    for name in BROKEN:
        if name != "metrics-bad-middle":  # metrics are read when plotted, not when listed
            assert rows[name]["error"], name
    assert "not finite" in rows["ckpt-nan-weights"]["error"]
    assert "imagenet" in rows["ckpt-unknown-dataset"]["error"]
    assert main(["list", "--runs-dir", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "good" in out and out.count("ERROR") >= 5
    # without loading torch, list still marks empty, garbage, unsafe and NaN checkpoints broken
    fast = {r["name"]: r["error"] for r in list_runs(corpus)}
    for name in ("ckpt-zero-bytes", "ckpt-unsafe-pickle", "ckpt-nan-weights", "ckpt-garbage"):
        assert fast[name] and name in out and "\n" not in fast[name], name
        line = next(ln for ln in out.splitlines() if ln.startswith(name))
        assert "ERROR" in line and "finished" not in line, line
    assert "empty (0 bytes)" in fast["ckpt-zero-bytes"] and "weights_only" in fast["ckpt-unsafe-pickle"]


@pytest.mark.parametrize("name", [n for n in BROKEN if n.startswith("ckpt")])
def test_eval_of_a_bad_checkpoint_is_one_line(name, corpus, capsys) -> None:
    assert main(["eval", name, "--runs-dir", str(corpus), "--limit", "10"]) == 2
    assert one_line(capsys).startswith("error: ")


def test_bad_metrics_line_is_named(corpus) -> None:
    from sr_core.runs.store import RunDir

    with pytest.raises(UserError, match="line 3 is malformed"):
        RunDir(corpus / "metrics-bad-middle").read_metrics()


@pytest.mark.parametrize("device", ["cuda", "cuda:3", "mps"])
def test_unavailable_device_refused_before_a_run_folder_exists(device, data_dir, tmp_path, monkeypatch,
                                                               capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_mod, "mps_available", lambda: False)
    assert main(["train", "--preset", "tiny", "--device", device, "--runs-dir", str(tmp_path / "r")]) == 2
    assert "not available on this machine" in one_line(capsys)
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").iterdir())
    assert device not in device_mod.available_devices()
    assert main(["eval", str(ROOT / "assets/checkpoints/cnn-vae/checkpoint.pt"), "--device", device]) == 2
    err = one_line(capsys)
    assert "not available" in err and "corrupt" not in err


@pytest.mark.parametrize("argv,words", [
    (["--seed", str(2**64)], "seed must be"), (["--seed", "-1"], "seed must be"),
    (["--kl-weight", "nan"], "finite"), (["--kl-weight", "inf"], "finite"),
])
def test_numbers_range_checked(argv, words, tmp_path, capsys) -> None:
    assert main(["train", "--preset", "tiny", "--runs-dir", str(tmp_path), *argv]) == 2
    assert words in one_line(capsys)
    assert not list(tmp_path.iterdir())


def test_unusable_runs_dir_checked_up_front(tmp_path, capsys) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    for d in (f, f / "sub"):
        assert main(["train", "--preset", "tiny", "--runs-dir", str(d)]) == 2
        assert "runs folder" in one_line(capsys)
    assert main(["list", "--runs-dir", str(f)]) == 2
    assert "is a file" in one_line(capsys)


def _idx(path: Path, arr: np.ndarray) -> None:
    code = 0x08
    header = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    path.write_bytes(header + arr.astype(np.uint8).tobytes())


@pytest.mark.parametrize("case,words", [("size", "not (N, 28, 28)"), ("count", "labels for"),
                                        ("range", "labels outside")])
def test_valid_idx_files_of_the_wrong_content_are_one_line(case, words, tmp_path, capsys) -> None:
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    n = 20
    images = np.zeros((n, 32, 32) if case == "size" else (n, 28, 28))
    labels = np.arange(n if case != "count" else n - 3) % (12 if case == "range" else 10)
    for split in ("train", "t10k"):
        _idx(raw / f"{split}-images-idx3-ubyte", images)
        _idx(raw / f"{split}-labels-idx1-ubyte", labels)
    with pytest.raises(UserError, match=re.escape(words)):
        load_split("fashion-mnist", train=False, data_dir=tmp_path / "data", download=False)
    assert main(["train", "--preset", "tiny", "--data-dir", str(tmp_path / "data"),
                 "--runs-dir", str(tmp_path / "runs")]) == 2
    assert words in one_line(capsys)
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_index_ranges_are_bounded_before_any_list_is_built() -> None:
    from ui.indices import parse_indices

    assert parse_indices("0, 5 10-12, 5", 20) == [0, 5, 10, 11, 12]
    for bad, words in (("0-99999999999", "out of range"), ("0-9999", "more than"), ("3-1", "backwards"),
                       ("x", "cannot read"), ("", "no test images")):
        with pytest.raises(UserError, match=words):
            parse_indices(bad, 10_000 if bad == "0-9999" else 20)


def test_studio_listens_on_localhost_and_looks_up_no_external_ip(monkeypatch) -> None:
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "127.0.0.1" and cfg["browser"]["gatherUsageStats"] is False
    from streamlit import config as st_config, net_util
    from streamlit.web import bootstrap

    monkeypatch.chdir(ROOT)
    st_config.get_config_options(force_reparse=True)
    try:
        assert st_config.get_option("server.address") == "127.0.0.1"

        def no_lookup():
            raise AssertionError("external IP lookup")

        monkeypatch.setattr(net_util, "get_external_ip", no_lookup)
        bootstrap._print_url(False)  # the banner: the place that looked the external IP up
    finally:
        st_config.get_config_options(force_reparse=True)
