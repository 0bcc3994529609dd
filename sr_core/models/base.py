"""What every model offers, and the registry that builds models by name.

A model is an ``nn.Module`` subclass of :class:`SRModel` with
- ``Config``: a dataclass of its hyperparameters (saved as JSON and inside checkpoints),
- ``forward(x_hr, lr=None, labels=None, generator=None) -> SROutput``: the training-time pass,
- ``super_resolve(x_lr, labels=None, generator=None)``: HR from LR alone, (B,1,14,14) -> (B,1,28,28),
- ``loss(out, hr, lr, alpha=..., kl_weight=...) -> dict`` of named loss components with ``total``.
The trainer, CLI and UI only use these, so any model in the registry plugs in.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import torch
from torch import nn

from ..errors import UserError


@dataclass
class SROutput:
    """Named output of ``forward``.

    ``recon``: (B,1,28,28) in [0,1], the full-VAE reconstruction from HR (or the SR image for
    models without an encoder); ``z``: latent sample, (B,1,14,14) for the CNN-VAEs; ``mu``/``sigma``:
    posterior mean and standard deviation, same shape as ``z`` (None for deterministic models).
    """

    recon: torch.Tensor
    z: torch.Tensor | None = None
    mu: torch.Tensor | None = None
    sigma: torch.Tensor | None = None
    extras: dict[str, torch.Tensor] = dataclasses.field(default_factory=dict)


class SRModel(nn.Module):
    """Base class: the common interface of every registered model."""

    name: ClassVar[str] = ""
    Config: ClassVar[type] = object
    #: True when ``super_resolve`` draws random samples (diversity is meaningful).
    stochastic: ClassVar[bool] = False
    #: True when ``forward`` is a full-VAE reconstruction from HR (distinct from ``super_resolve``).
    has_reconstruction: ClassVar[bool] = True
    #: Loss components this model reports, in display order; ``total`` is always last.
    loss_names: ClassVar[tuple[str, ...]] = ("recon", "latent", "kl", "total")

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config

    def super_resolve(self, x_lr: torch.Tensor, labels: torch.Tensor | None = None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """(B,1,14,14) LR in [0,1] -> (B,1,28,28) SR in [0,1]."""
        raise NotImplementedError

    def loss(self, out: SROutput, hr: torch.Tensor, lr: torch.Tensor, *, alpha: float,
             kl_weight: float = 0.0, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Named scalar loss components; ``total`` is the one that is minimized."""
        raise NotImplementedError

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


_REGISTRY: dict[str, type[SRModel]] = {}


def register(cls: type[SRModel]) -> type[SRModel]:
    """Class decorator: add a model to the registry under ``cls.name``."""
    if not cls.name or cls.name in _REGISTRY:
        raise ValueError(f"model name '{cls.name}' is empty or already registered")
    _REGISTRY[cls.name] = cls
    return cls


def model_names() -> list[str]:
    """Names of all registered models."""
    return list(_REGISTRY)


def model_class(name: str) -> type[SRModel]:
    """The class registered as ``name``; a one-line error lists the valid names otherwise."""
    if name not in _REGISTRY:
        raise UserError(f"unknown model '{name}'; choose one of: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def config_from_dict(cls: type, values: dict[str, Any] | None) -> Any:
    """Build config dataclass ``cls`` from a plain dict, refusing unknown keys by name."""
    values = dict(values or {})
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown setting(s) {', '.join(unknown)} for {cls.__name__}; "
                        f"valid: {', '.join(sorted(known))}")
    return cls(**values)


def build_model(name: str, config: dict[str, Any] | None = None, *, seed: int | None = None) -> SRModel:
    """Build registered model ``name`` from a plain-dict config (missing keys take defaults).

    With ``seed`` the initial weights are a pure function of it (drawn from a forked RNG, so the
    caller's global random state is left as it was); without, they come from the global RNG.
    """
    cls = model_class(name)
    cfg = config_from_dict(cls.Config, config)
    if seed is None:
        return cls(cfg)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(cfg)


def describe_models() -> list[dict[str, Any]]:
    """One dict per registered model: name, summary line, parameter count, stochastic flag."""
    rows = []
    for name, cls in _REGISTRY.items():
        m = cls(cls.Config())
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append({"name": name, "summary": doc[0] if doc else "", "parameters": m.num_parameters(),
                     "stochastic": cls.stochastic, "has_reconstruction": cls.has_reconstruction})
    return rows


Factory = Callable[[dict[str, Any] | None], SRModel]
