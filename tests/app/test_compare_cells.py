"""Compare's grid cells (ui.compare): identical projection cells are dropped and said why; titles wrap
only between words or after the hyphens of a long run name (the layout the browser test checks)."""
from __future__ import annotations

import re

import numpy as np

from ui import compare


def columns(moved: float) -> list[dict]:
    """HR, LR, bicubic, error + two models: 'a' whose projection moves pixels by ``moved``, 'b' by 0."""
    img = np.random.default_rng(0).random((2, 28, 28)).astype(np.float32)
    cols = [{"key": k, "title": k, "images": img} for k in ("hr", "lr")]
    cols += [{"key": "sr:a", "title": "SR · a", "images": img}, {"key": "proj:a", "title": "p", "images": img + moved},
             {"key": "sr:b", "title": "SR · b", "images": img}, {"key": "proj:b", "title": "p", "images": img.copy()}]
    return cols + [{"key": k, "title": k, "images": img} for k in ("bicubic", "error")]


def test_identical_projection_cells_are_dropped_and_named() -> None:
    cols = columns(moved=0.1)
    assert compare.already_consistent(cols) == ["b"]
    keys = [c["key"] for c in compare.grid_cells(cols)]
    assert keys == ["hr", "lr", "bicubic", "error", "sr:a", "proj:a", "sr:b"]  # context first, no proj:b
    assert "`b`" in compare.consistent_note(["b"]) and "already LR-consistent" in compare.consistent_note(["b"])


def test_a_change_below_half_an_8_bit_step_counts_as_identical() -> None:
    assert compare.already_consistent(columns(moved=0.4 / 255)) == ["a", "b"]
    assert compare.already_consistent(columns(moved=0.6 / 255)) == ["b"]


def test_long_run_names_wrap_after_hyphens_only() -> None:
    html = compare.title_html("SR · 20261203-075308-cnn-vae")
    pieces = re.findall(r'nowrap">([^<]*)</span>', html)
    assert pieces == ["SR", "·", "20261203-", "075308-", "cnn-", "vae"] and html.count("<wbr>") == 3
    assert re.findall(r'nowrap">([^<]*)</span>', compare.title_html("SR · shipped · cnn-vae-paper"))[-1] == "cnn-vae-paper"
