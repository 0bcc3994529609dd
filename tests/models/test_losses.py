"""The paper's loss against a hand computation; alpha schedule; KL."""
from __future__ import annotations

import math

import pytest
import torch

from sr_core.losses import alpha_at, bce, kl_standard_normal, vae_sr_loss


def _hand_bce(t: list[float], p: list[float]) -> float:
    return -sum(ti * math.log(pi) + (1 - ti) * math.log(1 - pi) for ti, pi in zip(t, p)) / len(t)


def test_bce_matches_hand_computation() -> None:
    t, p = [0.0, 1.0, 0.25, 0.9], [0.1, 0.8, 0.5, 0.6]
    got = bce(torch.tensor(t), torch.tensor(p)).item()
    assert got == pytest.approx(_hand_bce(t, p), rel=1e-6)


def test_bce_of_exact_zero_or_one_is_finite() -> None:
    assert torch.isfinite(bce(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])))


@pytest.mark.parametrize("alpha", [0.75, 0.25, 1.0, 0.0])
@pytest.mark.parametrize("kl_weight", [0.0, 0.5])
def test_components_and_total(alpha: float, kl_weight: float) -> None:
    hr = torch.tensor([[[[0.2, 0.9]]]])
    recon = torch.tensor([[[[0.3, 0.7]]]])
    lr = torch.tensor([[[[0.5]]]])
    z = torch.tensor([[[[0.4]]]])
    mu, sigma = torch.tensor([0.5]), torch.tensor([2.0])
    terms = vae_sr_loss(hr, recon, lr, z, mu, sigma, alpha=alpha, kl_weight=kl_weight)
    r = _hand_bce([0.2, 0.9], [0.3, 0.7])
    lat = _hand_bce([0.5], [0.4])
    kl = 0.5 * (0.25 + 4 - math.log(4) - 1)
    assert terms["recon"].item() == pytest.approx(r, rel=1e-6)
    assert terms["latent"].item() == pytest.approx(lat, rel=1e-6)
    assert terms["kl"].item() == pytest.approx(kl, rel=1e-6)
    assert terms["total"].item() == pytest.approx(alpha * r + (1 - alpha) * lat + kl_weight * kl, rel=1e-6)


def test_kl_is_zero_for_standard_normal() -> None:
    assert kl_standard_normal(torch.zeros(5), torch.ones(5)).item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("step,expected", [(0, 0.75), (1, 0.75), (2499, 0.75), (2500, 0.25), (2999, 0.25)])
def test_paper_alpha_schedule(step: int, expected: float) -> None:
    assert alpha_at(step, [(0, 0.75), (2500, 0.25)]) == expected
