"""Every registered model: shapes, gradients, ranges, registry errors, config round trip."""
from __future__ import annotations

import pytest
import torch

from sr_core.errors import UserError
from sr_core.models import build_model, model_class, model_names

NAMES = model_names()


def batch(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A random HR batch (n,1,28,28) in [0,1], its 2x2 box LR (n,1,14,14) and labels 0..9."""
    hr = torch.rand(n, 1, 28, 28)
    return hr, torch.nn.functional.avg_pool2d(hr, 2), torch.arange(n) % 10


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_named_output(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name)
    hr, lr, labels = batch(4)
    out = model(hr, lr=lr, labels=labels)
    assert out.recon.shape == (4, 1, 28, 28)
    sr = model.super_resolve(lr, labels=labels)
    assert sr.shape == (4, 1, 28, 28)
    assert torch.isfinite(sr).all() and sr.min() >= 0 and sr.max() <= 1
    assert model.num_parameters() > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_gets_a_gradient(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name)
    hr, lr, labels = batch(8)
    out = model(hr, lr=lr, labels=labels)
    terms = model.loss(out, hr, lr, alpha=0.5, kl_weight=0.1, labels=labels)
    assert "total" in terms and torch.isfinite(terms["total"])
    terms["total"].backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{pname} got no gradient"
        assert torch.isfinite(p.grad).all(), f"{pname} has a non-finite gradient"
        assert p.grad.abs().sum() > 0, f"{pname} has an all-zero gradient"


def test_paper_model_output_is_bounded_below_by_half() -> None:
    # ReLU before sigmoid, as the paper writes: every pixel in [0.5, 1).
    model = build_model("cnn-vae-paper")
    out = model(torch.rand(16, 1, 28, 28))
    assert out.recon.min() >= 0.5


def test_fixed_model_latent_in_unit_interval_and_can_be_dark() -> None:
    model = build_model("cnn-vae")
    with torch.no_grad():
        model.dec_fc.bias.fill_(-10.0)
    out = model(torch.rand(4, 1, 28, 28))
    assert out.z.min() >= 0 and out.z.max() <= 1
    assert out.recon.max() < 0.5  # black is reachable once the ReLU is gone
    assert (out.sigma > 0).all()


def test_unknown_model_is_one_line_listing_names() -> None:
    with pytest.raises(UserError) as err:
        model_class("srgan")
    assert all(n in str(err.value) for n in NAMES)


def test_unknown_config_key_is_refused() -> None:
    with pytest.raises(UserError, match="unknown setting"):
        build_model("cnn-vae", {"depth": 3})


@pytest.mark.parametrize("name", NAMES)
def test_sampling_uses_the_given_generator(name: str) -> None:
    model = build_model(name)
    hr = torch.rand(2, 1, 28, 28)
    a = model(hr, generator=torch.Generator().manual_seed(1)).recon
    b = model(hr, generator=torch.Generator().manual_seed(1)).recon
    assert torch.equal(a, b)
