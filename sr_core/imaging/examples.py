"""Example inputs for the try-it demo: one Fashion-MNIST test image per class.

From the dataset when it is present (the first test image of each class, written as PNG files), else the
same ten images shipped in ``assets/examples/`` (so a fresh checkout without data still has examples).
"""
from __future__ import annotations

import os
from pathlib import Path

from sr_core.fs import ASSETS_DIR, atomic_write_bytes
from sr_core.data import check_dataset, load_split
from sr_core.imaging.io import encode_png

SHIPPED_EXAMPLES = ASSETS_DIR / "examples"


def example_images(dest: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> list[str]:
    """Paths of one 28×28 PNG per class (``<index>_<class>.png``), written to ``dest`` from the test set
    when the dataset is present, else the shipped ones."""
    if check_dataset("fashion-mnist", data_dir):
        return sorted(str(p) for p in SHIPPED_EXAMPLES.glob("*.png"))
    split = load_split("fashion-mnist", train=False, data_dir=data_dir, download=False, progress=False)
    paths = []
    for c, name in enumerate(split.classes):
        i = int((split.labels == c).nonzero()[0])
        path = Path(dest) / f"{i:05d}_{name.replace('/', '-').replace(' ', '_')}.png"
        if not path.is_file():
            atomic_write_bytes(path, encode_png(split.hr([i])[0, 0].numpy()))
        paths.append(str(path))
    return paths
