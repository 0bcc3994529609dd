"""Device discovery: which devices this machine can train on, and resolving a name (``auto``, ``cpu``,
``cuda``, ``cuda:N``, ``mps``) to a ``torch.device`` with a one-line error for one it lacks.

``cuda_available``/``mps_available`` are the one place the backends are asked (tests patch them, or
``torch.cuda.is_available`` underneath).
"""
from __future__ import annotations

import torch

from sr_core.errors import UserError


def cuda_available() -> bool:
    """True when torch sees a CUDA GPU."""
    return torch.cuda.is_available()


def mps_available() -> bool:
    """True when torch has the Apple-silicon (MPS) backend and it is usable."""
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def available_devices() -> list[str]:
    """Device names this machine can train on: ``auto``, ``cpu``, then ``cuda`` / ``cuda:N`` / ``mps`` if present."""
    out = ["auto", "cpu"]
    if cuda_available():
        n = torch.cuda.device_count()
        out += ["cuda"] + ([f"cuda:{i}" for i in range(n)] if n > 1 else [])
    if mps_available():
        out.append("mps")
    return out


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; a device this machine lacks is a one-line UserError."""
    if name == "auto":
        if cuda_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise UserError(f"unknown device '{name}'; choose one of: {', '.join(available_devices())}") from None
    ok = (dev.type == "cpu" or (dev.type == "mps" and mps_available())
          or (dev.type == "cuda" and cuda_available()
              and (dev.index is None or dev.index < torch.cuda.device_count())))
    if not ok:
        raise UserError(f"device '{name}' is not available on this machine; choose one of: "
                        f"{', '.join(available_devices())}")
    return dev
