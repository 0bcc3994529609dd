"""Small synthetic splits for fast unit tests (no dataset needed)."""
from __future__ import annotations

import torch

from sr_core.data import Split


def uniform_split(n: int = 12, seed: int = 3) -> Split:
    """``n`` uniform-noise 28x28 uint8 test images with labels 0..9 (no structure: worst case for SR)."""
    g = torch.Generator().manual_seed(seed)
    images = (torch.rand(n, 28, 28, generator=g) * 255).to(torch.uint8)
    return Split(name="synthetic", train=False, images=images, labels=torch.arange(n) % 10,
                 classes=tuple(str(i) for i in range(10)))


def synthetic_split(n: int = 64, seed: int = 0, train: bool = True) -> Split:
    """``n`` blurry random 28x28 uint8 images with labels 0..9."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 1, 7, 7, generator=g)
    imgs = torch.nn.functional.interpolate(low, size=(28, 28), mode="bilinear", align_corners=False)
    images = (imgs.squeeze(1) * 255).round().to(torch.uint8)
    labels = torch.arange(n) % 10
    return Split(name="fashion-mnist", train=train, images=images, labels=labels,
                 classes=tuple(str(i) for i in range(10)))


def random_image_file(path, h: int, w: int, seed: int, rgb: bool, fmt: str = "PNG") -> None:
    """A seeded uniform-noise (h, w[, 3]) uint8 image saved at ``path`` (folders made) in format ``fmt``."""
    import numpy as np
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    a = np.random.default_rng(seed).integers(0, 256, (h, w, 3) if rgb else (h, w), dtype=np.uint8)
    Image.fromarray(a).save(path, format=fmt)
