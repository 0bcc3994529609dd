"""Example inputs for the try-it demo: one Fashion-MNIST test image per class, then held-out photographs.

Fashion-MNIST: from the dataset when it is present (the first test image of each class, written as PNG
files), else the same ten images shipped in ``assets/examples/`` (so a fresh checkout without data still has
examples). Photos: :data:`PHOTO_EXAMPLES`, from scikit-image's bundled samples (offline), on the held-out
list no shipped model trains on (:data:`sr_core.photos.PHOTO_TEST`) — a colour one and a grey one, so the
demo's ``auto`` model shows both of its photo cases.
"""
from __future__ import annotations

import os
from pathlib import Path

from sr_core.fs import ASSETS_DIR, atomic_write_bytes
from sr_core.data import check_dataset, load_split
from sr_core.imaging.io import encode_png
from sr_core.photos import skimage_photo

SHIPPED_EXAMPLES = ASSETS_DIR / "examples"
PHOTO_EXAMPLES = ("chelsea", "coins")  # held out: colour 451×300, grey 384×303


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


def photo_examples(dest: str | os.PathLike) -> list[str]:
    """Paths of the :data:`PHOTO_EXAMPLES` as PNG files written to ``dest`` (colour kept); [] when
    scikit-image's samples cannot be read."""
    paths = []
    for name in PHOTO_EXAMPLES:
        path = Path(dest) / f"photo_{name}.png"
        if not path.is_file():
            try:
                pixels = skimage_photo(name)
            except Exception:  # scikit-image missing or its data incomplete: the demo keeps its other examples
                return paths
            atomic_write_bytes(path, encode_png(pixels))
        paths.append(str(path))
    return paths


def demo_examples(dest: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> tuple[list[str], str]:
    """(example paths, the heading that says what they are): Fashion-MNIST images first, then photos."""
    fashion, photos = example_images(dest, data_dir), photo_examples(dest)
    if not photos:
        return fashion, "Examples: one Fashion-MNIST test image per class"
    return fashion + photos, (f"Examples: one Fashion-MNIST test image per class, then held-out photos "
                              f"({', '.join(PHOTO_EXAMPLES)}; scikit-image)")
