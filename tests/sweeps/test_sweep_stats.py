"""Sweep statistics and grid syntax (no Ray, no data): t quantiles against printed tables, CI and paired
difference against hand computation, the grid parser's products and one-line errors."""
from __future__ import annotations

import csv
import io
import math

import pytest

from sr_core.errors import UserError
from sr_core.sweeps.spec import SweepSpec, parse_grid, resolve_reference, setting_overrides
from sr_core.sweeps.stats import describe, format_table, summarize, summary_csv, t_cdf, t_quantile

# Student t two-sided critical values, from the standard printed table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)
T_TABLE = [(0.975, 1, 12.706), (0.975, 2, 4.303), (0.975, 3, 3.182), (0.975, 4, 2.776), (0.975, 9, 2.262),
           (0.975, 19, 2.093), (0.975, 30, 2.042), (0.975, 100, 1.984), (0.995, 4, 4.604), (0.995, 10, 3.169),
           (0.95, 5, 2.015), (0.9, 20, 1.325)]


@pytest.mark.parametrize("p,df,expected", T_TABLE)
def test_t_quantile_matches_the_printed_table(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=6e-4)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=6e-4)  # symmetric
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def test_t_quantile_tends_to_the_normal_one():
    assert t_quantile(0.975, 1e6) == pytest.approx(1.95996, abs=1e-4)


def test_describe_matches_hand_computation():
    xs = [19.21, 17.88, 18.50, 18.95, 18.10]
    n, mean = 5, sum(xs) / 5
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = 2.7764451051977987 * std / math.sqrt(n)  # t(0.975, 4)
    d = describe(xs)
    assert d["n"] == 5 and d["mean"] == pytest.approx(mean) and d["std"] == pytest.approx(std)
    assert d["ci_low"] == pytest.approx(mean - half, rel=1e-9) and d["ci_high"] == pytest.approx(mean + half, rel=1e-9)


def test_one_seed_has_no_spread_and_nan_is_ignored():
    d = describe([3.0, float("nan")])
    assert d["n"] == 1 and d["mean"] == 3.0 and d["std"] is None and d["ci_low"] is None


def _trial(setting, seed, psnr, status="finished"):
    return {"setting": setting, "seed": seed, "status": status, "metrics": None if status != "finished" else
            {"sr_psnr": psnr, "sr_ssim": 0.5, "test_loss": 0.3}}


def test_paired_difference_uses_common_seeds_only():
    trials = [_trial(0, 0, 10.0), _trial(0, 1, 11.0), _trial(0, 2, 12.0),
              _trial(1, 0, 10.5), _trial(1, 1, 11.7), _trial(1, 2, 0.0, status="failed")]
    rows = summarize(trials, ["ref", "other"], reference=0)
    assert rows[0]["reference"] and "paired" not in rows[0]["metrics"]["sr_psnr"]
    assert rows[1]["n_finished"] == 2 and rows[1]["n_failed"] == 1
    p = rows[1]["metrics"]["sr_psnr"]["paired"]
    diffs = [0.5, 0.7]
    half = 12.706204736174698 * math.sqrt(sum((d - 0.6) ** 2 for d in diffs)) / math.sqrt(2)  # t(0.975, 1)
    assert p["n"] == 2 and p["mean"] == pytest.approx(0.6)
    assert (p["ci_low"], p["ci_high"]) == (pytest.approx(0.6 - half), pytest.approx(0.6 + half))
    table = list(csv.DictReader(io.StringIO(summary_csv(rows))))
    assert table[1]["sr_psnr_diff_vs_ref"] == "0.6" and table[1]["n_failed"] == "1"
    assert "reference" in format_table(rows)


@pytest.mark.parametrize("text,expected", [
    ("lr=0.001|0.003", [("lr", ["0.001", "0.003"])]),
    ("alpha=0:1.0|0:0.75,1200:0.25; lr=1e-3", [("alpha", ["0:1.0", "0:0.75,1200:0.25"]), ("lr", ["1e-3"])]),
    ("batch-size=16|32 kl_weight=0|0.1", [("batch_size", ["16", "32"]), ("kl_weight", ["0", "0.1"])]),
])
def test_parse_grid(text, expected):
    assert parse_grid(text) == expected


@pytest.mark.parametrize("text,fragment", [
    ("", "empty"), ("lr", "no '='"), ("colour=red", "unknown grid key"), ("lr=1||2", "empty value"),
    ("lr=1 lr=2", "given twice"), ("lr=1|1", "repeats"),
])
def test_parse_grid_errors_are_one_line(text, fragment):
    with pytest.raises(UserError, match=fragment) as err:
        parse_grid(text)
    assert "\n" not in str(err.value)


def test_spec_product_order_overrides_and_reference():
    spec = SweepSpec(name="s", preset="tiny", grid=parse_grid("alpha=0:1.0|0:0.75,40:0.25; lr=0.001|0.003"),
                     seeds=[0, 1], base={"steps": 7})
    assert [t["run"] for t in spec.trials()][:3] == ["s-00-seed0", "s-00-seed1", "s-01-seed0"]
    assert len(spec.trials()) == 8
    cfg = spec.trial_config(2, 1)
    assert cfg.alpha_schedule == [(0, 0.75), (40, 0.25)] and cfg.lr == 0.001 and cfg.steps == 7 and cfg.seed == 1
    assert resolve_reference(spec, "3") == 2 and resolve_reference(spec, "alpha=0:1.0 lr=0.003") == 1
    with pytest.raises(UserError, match="matches no setting"):
        resolve_reference(spec, "lr=9")
    assert setting_overrides({"batch_size": "16"}) == {"batch_size": 16}


def test_a_bad_setting_fails_before_anything_runs():
    with pytest.raises(UserError, match="learning rate"):
        SweepSpec(name="s", preset="tiny", grid=parse_grid("lr=0.001|20"), seeds=[0]).validate()
