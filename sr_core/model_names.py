"""The registered models as a light table (no torch): what `python -m sr_core models` prints.

The CLI lists models without building them, so `models` starts in a fraction of a second; the
numbers here are checked against the real registry by tests/cli/test_cli_startup.py (a new model or a
changed architecture fails that test until this table is updated).
"""
from __future__ import annotations

# name -> (parameters at the default config, stochastic, first line of the class docstring)
MODELS: dict[str, tuple[int, bool, str]] = {
    "cnn-vae-paper": (1239024, False, "The paper's CNN-VAE as written (Sec. IV-B), with the one change needed "
                                      "to run at all."),
    "cnn-vae": (1239024, False, "The paper's CNN-VAE with its inconsistencies fixed (each fix is one line below)."),
    "resnet-sr": (84708, False, "Residual CNN + sub-pixel upsampling (EDSR/ESPCN style), deterministic; per-image "
                                "log-MSE, L1 or MSE loss."),
    "cvae-sr": (109196, True, "Conditional VAE: z ~ p(z|LR) with a temperature, decoder g(LR, z); many HR images "
                              "per LR image."),
    "cnn-vae-class": (1270234, False, "CNN-VAE (fixed) with a class-conditioned decoder; labels from the dataset "
                                      "or an LR classifier."),
    "cnn-vae-deep": (396812, False, "The paper's CNN-VAE objective and encoder with a fully convolutional "
                                    "(EDSR/ESPCN) decoder."),
}


def describe_light() -> list[dict[str, object]]:
    """One dict per model (name, parameters, stochastic, summary), in registry order, without torch."""
    return [{"name": n, "parameters": p, "stochastic": s, "summary": d} for n, (p, s, d) in MODELS.items()]
