"""What every model offers, and the registry that builds models by name.

A model is an ``nn.Module`` subclass of :class:`SRModel`. Callers rely only on what it declares:
- ``Config``: a dataclass of its hyperparameters (saved as JSON and inside checkpoints);
- capabilities, as class attributes (no ``hasattr`` guessing): ``stochastic``, ``takes_temperature``
  with its ``temperature_range`` (read through :meth:`SRModel.clamp_temperature`), ``fully_convolutional``
  (with :meth:`SRModel.receptive_margin` for tiling), ``has_latent`` (``encode`` returns a 14x14 latent image), ``has_reconstruction``, ``has_classifier``
  (``classify``), ``takes_labels``;
- ``forward(x_hr, lr=None, labels=None, generator=None, sample=True) -> SROutput``: the training pass;
- ``super_resolve(x_lr, labels=None, generator=None, *, temperature=None)``: HR from LR alone,
  (B,1,14,14) -> (B,1,28,28); models ignore the arguments their capabilities do not list;
- ``encode(x_hr, generator=None) -> Posterior`` (models with ``has_latent``);
- ``loss(out, hr, lr, alpha=..., kl_weight=...) -> dict`` of the components in ``loss_names``
  (human labels in ``loss_labels``), ``total`` last.
The trainer, CLI and UI only use these, so any model in the registry plugs in.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import torch
from torch import nn

from sr_core.degrade import DEFAULT_DEGRADATION, get_degradation
from sr_core.errors import UserError

#: Loss component labels of the paper's objective, eqs. (7), (9)-(11): the CNN-VAEs' loss.
VAE_SR_LOSS_LABELS: dict[str, str] = {"recon": "recon = BCE(HR, recon) (eq. 9)",
                                      "latent": "latent = BCE(LR, z) (eq. 10)", "kl": "KL (eq. 7)",
                                      "total": "total (minimized)"}


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


@dataclass
class Posterior:
    """q(z | HR) of a latent-image model, after diffusers' ``DiagonalGaussianDistribution``.

    ``loc``/``scale``: (B,1,14,14) mean and standard deviation (>= 0) of the Gaussian, in the space
    where the noise is added (logit space for ``cnn-vae``; image space for ``cnn-vae-paper``);
    ``squash`` maps that space to the latent image (sigmoid, or identity); ``z``: the sample drawn
    by ``encode`` (eq. 6), (B,1,14,14). ``mu`` is the latent image at zero noise, ``squash(loc)``.
    """

    loc: torch.Tensor
    scale: torch.Tensor
    z: torch.Tensor
    squash: Callable[[torch.Tensor], torch.Tensor] | None = None

    @property
    def mu(self) -> torch.Tensor:
        """(B,1,14,14) the posterior mode as a latent image (``squash(loc)``)."""
        return self.mode()

    @property
    def sigma(self) -> torch.Tensor:
        """(B,1,14,14) the posterior standard deviation (in the noise space, see ``loc``)."""
        return self.scale

    def _squash(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.squash is None else self.squash(x)

    def mode(self) -> torch.Tensor:
        """(B,1,14,14) the latent image at zero noise."""
        return self._squash(self.loc)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B,1,14,14) a fresh latent sample squash(loc + scale * noise)."""
        noise = torch.randn(self.loc.shape, device=self.loc.device, dtype=self.loc.dtype, generator=generator)
        return self._squash(self.loc + self.scale * noise)

    def kl(self) -> torch.Tensor:
        """(B,) KL(N(loc, scale^2) || N(0, 1)) per image, mean over the 196 latent units (eq. 7's
        per-unit scale, the same number the loss's ``kl`` term averages over the batch)."""
        var = self.scale.pow(2).clamp_min(1e-12)
        return 0.5 * (self.loc.pow(2) + var - var.log() - 1.0).flatten(1).mean(dim=1)


class SRModel(nn.Module):
    """Base class: the common interface of every registered model."""

    name: ClassVar[str] = ""
    Config: ClassVar[type] = object
    # per-setting (low, high) overriding the generic size bounds of config_from_dict
    bounds: ClassVar[dict[str, tuple[float, float]]] = {}
    #: True when ``super_resolve`` draws random samples (diversity is meaningful).
    stochastic: ClassVar[bool] = False
    #: True when ``super_resolve`` takes a ``temperature`` (see :meth:`default_temperature`).
    takes_temperature: ClassVar[bool] = False
    #: (lo, hi) temperatures the model offers (sliders, API clamps); None exactly when it takes none.
    temperature_range: ClassVar[tuple[float, float] | None] = None
    #: True when ``super_resolve`` maps any (B,1,h,w) to (B,1,2h,2w) (tiled at any size); False: 14x14 only.
    fully_convolutional: ClassVar[bool] = False
    #: True when training (``forward`` on HR + LR) takes patches of any even size; False: 28x28 only.
    trains_any_size: ClassVar[bool] = False
    #: LR pixels an interpolation the output is added to reads on each side (bicubic: 2), for the margin.
    interpolation_reach: ClassVar[int] = 0
    #: True when ``encode(hr)`` returns a :class:`Posterior` over a (B,1,14,14) latent *image*.
    has_latent: ClassVar[bool] = False
    #: True when ``forward`` is a full-VAE reconstruction from HR (distinct from ``super_resolve``).
    has_reconstruction: ClassVar[bool] = True
    #: True when ``classify(lr)`` predicts class labels from the LR image.
    has_classifier: ClassVar[bool] = False
    #: True when ``super_resolve``/``forward`` use class labels (others ignore them).
    takes_labels: ClassVar[bool] = False
    #: Loss components this model reports -> human label, in display order; ``total`` is last.
    loss_labels: ClassVar[dict[str, str]] = VAE_SR_LOSS_LABELS

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config

    #: The loss components in display order (``total`` last): derived from ``loss_labels``, one list.
    loss_names: ClassVar[tuple[str, ...]] = tuple(VAE_SR_LOSS_LABELS)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.loss_names = tuple(cls.loss_labels)

    def default_temperature(self) -> float | None:
        """The temperature ``super_resolve`` uses when given none (None: takes no temperature)."""
        return None

    def clamp_temperature(self, t: float | None) -> float | None:
        """The one temperature policy: None for models without one; ``t`` (None: the default) clamped into
        ``temperature_range``. A NaN or infinite ``t`` is refused with a one-line :class:`UserError`."""
        if self.temperature_range is None:
            return None
        lo, hi = self.temperature_range
        if t is None:
            return float(self.default_temperature())
        if not math.isfinite(float(t)):
            raise UserError(f"temperature {t} is not a finite number; give one in [{lo:g}, {hi:g}]")
        return min(max(float(t), lo), hi)

    def receptive_margin(self) -> int:
        """An upper bound (LR pixels) of a fully convolutional model's receptive-field radius: every
        convolution's half-width (any path, residual branches included) plus ``interpolation_reach``."""
        radius = sum((max(m.kernel_size) // 2) * max(m.dilation) for m in self.modules() if isinstance(m, nn.Conv2d))
        return radius + self.interpolation_reach

    def super_resolve(self, x_lr: torch.Tensor, labels: torch.Tensor | None = None,
                      generator: torch.Generator | None = None, *,
                      temperature: float | None = None) -> torch.Tensor:
        """(B,1,14,14) LR in [0,1] -> (B,1,28,28) SR in [0,1]."""
        raise NotImplementedError

    def super_resolve_samples(self, x_lr: torch.Tensor, k: int, labels: torch.Tensor | None = None,
                              generator: torch.Generator | None = None, *,
                              temperature: float | None = None) -> torch.Tensor:
        """``k`` SR samples of each LR image in one pass: (B,1,14,14) -> (K*B,1,28,28), sample-major
        (sample i of image j is row i*B + j), as ``super_resolve`` of the batch repeated ``k`` times.

        This default does exactly that; a model whose sampling has an LR-only part (cvae-sr's prior)
        overrides it to compute that part once and draw the same noise from ``generator``."""
        rep = x_lr.repeat(k, 1, 1, 1)  # (K*B, 1, 14, 14)
        lab = None if labels is None else labels.repeat(k)
        return self.super_resolve(rep, labels=lab, generator=generator, temperature=temperature)

    def encode(self, x_hr: torch.Tensor, generator: torch.Generator | None = None) -> Posterior:
        """(B,1,28,28) HR in [0,1] -> the posterior over the (B,1,14,14) latent image (``has_latent``)."""
        raise NotImplementedError(f"{self.name} has no latent image (has_latent is False)")

    def classify(self, x_lr: torch.Tensor) -> torch.Tensor:
        """(B,1,14,14) LR -> (B,) predicted labels (``has_classifier``)."""
        raise NotImplementedError(f"{self.name} has no classifier (has_classifier is False)")

    @staticmethod
    def lr_of(x_hr: torch.Tensor, lr: torch.Tensor | None) -> torch.Tensor:
        """``lr`` if given, else the default degradation of ``x_hr`` (the trainer always passes the
        run's own LR images; this only serves calls such as ``model(hr)``)."""
        return lr if lr is not None else get_degradation(DEFAULT_DEGRADATION)(x_hr)

    def loss(self, out: SROutput, hr: torch.Tensor, lr: torch.Tensor, *, alpha: float,
             kl_weight: float = 0.0, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Named scalar loss components (``loss_names``); ``total`` is the one that is minimized."""
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


def registered_loss_names() -> tuple[str, ...]:
    """Every registered model's loss components, ``total`` first, then in registry order (charts that
    mix models, e.g. the Runs page, offer these; metrics.csv has a column for each)."""
    names = dict.fromkeys(n for cls in _REGISTRY.values() for n in cls.loss_names if n != "total")
    return ("total", *names)


# Architecture sizes a config may ask for, checked before anything is allocated: a whole number may be at
# most SIZE_FACTOR x its default (and at most MAX_SIZE) — a hand-made 1.5 KB checkpoint must not make a
# loader build a 256-channel x 2,000-block network. A model can narrow or widen one with ``bounds``.
SIZE_FACTOR, MAX_SIZE = 8, 512


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default  # type: ignore[misc]


def _check_value(cls: type, name: str, value: Any, default: Any, bounds: dict[str, tuple[float, float]]) -> None:
    """One setting against its default's type and the size bounds (one-line UserError)."""
    where = f"{cls.__name__}.{name}"
    if isinstance(default, bool) or isinstance(default, str):
        if type(value) is not type(default):
            raise UserError(f"{where} must be a {type(default).__name__} (got {value!r:.40}); fix the config")
        return
    if isinstance(default, (tuple, list)):
        if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 2 * max(len(default), 1):
            raise UserError(f"{where} must be a list like {list(default)} (got {value!r:.40}); fix the config")
        for v, d in zip(value, list(default) * 2):
            _check_value(cls, name, v, d, bounds)
        return
    if isinstance(default, int):
        lo, hi = bounds.get(name, (1, min(MAX_SIZE, max(SIZE_FACTOR * abs(default), 8))))
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise UserError(f"{where} = {value!r:.40} is outside {lo}..{hi}; use a whole number in that range")
    elif isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise UserError(f"{where} must be a finite number (got {value!r:.40}); fix the config")
        lo, hi = bounds.get(name, (-math.inf, math.inf))
        if not lo <= value <= hi:
            raise UserError(f"{where} = {value} is outside {lo}..{hi}; fix the config")


def config_from_dict(cls: type, values: dict[str, Any] | None, bounds: dict[str, tuple[float, float]] | None = None) -> Any:
    """Build config dataclass ``cls`` from a plain dict, refusing unknown keys by name and values of the
    wrong type or outside the size bounds (see :data:`SIZE_FACTOR`) before any model is allocated."""
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UserError(f"unknown setting(s) {', '.join(unknown)} for {cls.__name__}; "
                        f"valid: {', '.join(sorted(fields))}")
    for name, value in values.items():
        _check_value(cls, name, value, _default(fields[name]), bounds or {})
    return cls(**values)


def build_model(name: str, config: dict[str, Any] | None = None, *, seed: int | None = None) -> SRModel:
    """Build registered model ``name`` from a plain-dict config (missing keys take defaults).

    With ``seed`` the initial weights are a pure function of it (drawn from a forked RNG, so the
    caller's global random state is left as it was); without, they come from the global RNG.
    """
    cls = model_class(name)
    cfg = config_from_dict(cls.Config, config, cls.bounds)
    if seed is None:
        return cls(cfg)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(cfg)


def describe_models() -> list[dict[str, Any]]:
    """One dict per registered model: name, summary line, parameter count, capability flags."""
    rows = []
    for name, cls in _REGISTRY.items():
        m = cls(cls.Config())
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append({"name": name, "summary": doc[0] if doc else "", "parameters": m.num_parameters(),
                     "stochastic": cls.stochastic, "has_reconstruction": cls.has_reconstruction,
                     "has_latent": cls.has_latent})
    return rows


Factory = Callable[[dict[str, Any] | None], SRModel]
