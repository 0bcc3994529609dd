"""Long runs: metrics.csv read incrementally (only new bytes) equals a full read, through torn lines,
rewrites and old headers; min/max downsampling keeps every bucket's extremes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_core.errors import UserError
from sr_core.runs.metrics_log import append_rows, read_rows, repair_metrics
from sr_core.monitor.series import MetricsSeries, downsample_minmax


def _rows(a: int, b: int) -> list[dict]:
    out = []
    for s in range(a, b):
        out.append({"step": s, "split": "train", "total": 1.0 / (s + 1), "alpha": 0.75, "lr": 1e-3})
        if s % 5 == 0:
            out.append({"step": s, "split": "test", "total": 2.0 / (s + 1), "sr_psnr": 20.0 + s * 0.01})
    return out


def test_incremental_equals_full_read(tmp_path: Path) -> None:
    p = tmp_path / "metrics.csv"
    series = MetricsSeries(p, keep_rows=True)
    assert series.read() is False and series.rows == []
    for a in range(0, 60, 20):
        append_rows(p, _rows(a, a + 20))
        assert series.read()
        assert series.rows == read_rows(p)[0]
    with open(p, "a") as f:  # a torn last line: left for later, as read_rows drops it
        f.write("60,train,0.5")
    assert series.read() is False and series.rows == read_rows(p)[0]
    with open(p, "a") as f:
        f.write(",,,,,,0.75,0.001,,,,,,,,\n")
    assert series.read() and series.rows == read_rows(p)[0] and series.rows[-1]["step"] == 60
    cols = series.columns("train")
    assert cols["step"].tolist() == [r["step"] for r in series.rows if r["split"] == "train"]
    assert np.isnan(cols["img_s"]).all()
    lean = MetricsSeries(p)  # columns only (the pages' reader): the same numbers
    lean.read()
    assert lean.rows == [] and all(np.array_equal(v, cols[k], equal_nan=True) for k, v in lean.columns("train").items())
    repair_metrics(p, 30)  # a resume rewrites the file (a new inode): read again from the start
    assert series.read() and series.rows == read_rows(p)[0] and max(r["step"] for r in series.rows) == 30


def test_old_header_and_malformed_line(tmp_path: Path) -> None:
    p = tmp_path / "metrics.csv"
    p.write_text("step,split,total,recon,latent,kl,alpha,lr,elapsed_s,img_s\n0,test,0.5,0.4,0.3,0.2,0.75,0.001,1.0,\n")
    s = MetricsSeries(p, keep_rows=True)
    s.read()
    assert s.rows == read_rows(p)[0] and "sr_psnr" not in s.rows[0]
    with open(p, "a") as f:
        f.write("1,bogus,0.5,0.4,0.3,0.2,0.75,0.001,1.0,\n")
    with pytest.raises(UserError, match="line 3 is malformed"):
        s.read()
    with pytest.raises(UserError, match="line 3 is malformed"):
        read_rows(p)


def test_downsample_keeps_minima_and_maxima() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=200_000).cumsum()
    y[12_345], y[150_000] = 1e6, -1e6  # spikes that every-k-th decimation would miss
    y[500:700] = np.nan
    idx = downsample_minmax(y, 1000)
    assert len(idx) <= 1002 and idx[0] == 0 and idx[-1] == len(y) - 1
    assert 12_345 in idx and 150_000 in idx
    buckets, size = 500, 400
    for b in range(0, buckets, 37):  # every bucket's own min and max are kept
        seg = y[b * size:(b + 1) * size]
        if np.isnan(seg).all():
            continue
        assert b * size + np.nanargmin(seg) in idx and b * size + np.nanargmax(seg) in idx
    assert downsample_minmax(np.arange(10.0), 1000).tolist() == list(range(10))


def test_live_columns_convert_only_new_rows_and_equal_a_full_conversion() -> None:
    from ui.studio.monitor import live_columns

    rows = [{"step": s, "total": 1.0 / (s + 1), "recon": None if s % 3 else 0.5} for s in range(100)]
    live_columns("t", rows, ["total", "recon"])
    rows = rows + [{"step": 100, "total": 0.01}]
    got = live_columns("t", rows, ["total", "recon"])
    assert got["step"].tolist() == list(range(101))
    assert np.array_equal(got["total"], np.array([r["total"] for r in rows]))
    assert np.array_equal(np.isnan(got["recon"]), np.array([r.get("recon") is None for r in rows]))
    fresh = [{"step": 0, "total": 9.0}]  # another job: a new list is converted from scratch
    assert live_columns("t", fresh, ["total", "recon"])["total"].tolist() == [9.0]
