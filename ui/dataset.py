"""Downloading a dataset file by file, so the Home page can show a progress bar.

Uses torchvision's own mirrors, checksums and extraction; anything that goes wrong (offline, a bad
mirror, an unwritable folder) becomes one :class:`sr_core.errors.DataMissingError` line that names
the folder and the four files, as :func:`sr_core.data.missing_message` does.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from sr_core.data import DATASETS, check_dataset, missing_message, resolve_data_dir
from sr_core.errors import DataMissingError, UserError

Progress = Callable[[float, str], None]


def download_dataset(name: str = "fashion-mnist", data_dir: str | os.PathLike | None = None,
                     progress: Progress | None = None) -> Path:
    """Download the missing raw files of ``name``; ``progress(fraction, text)`` after each file.

    Returns the raw folder. Raises :class:`DataMissingError` (one line) when a file cannot be fetched.
    """
    if name not in DATASETS:
        raise UserError(f"unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}")
    import torchvision.datasets as tvd
    from torchvision.datasets.utils import download_and_extract_archive

    cls_name, folder, _ = DATASETS[name]
    cls = getattr(tvd, cls_name)
    root = resolve_data_dir(data_dir, name)  # where load_split looks (./data when nothing holds it)
    raw = root / folder / "raw"
    resources = list(cls.resources)
    report = progress or (lambda f, t: None)
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataMissingError(f"cannot create {raw} ({exc.strerror}); {missing_message(name, root)}") from exc
    for i, (filename, md5) in enumerate(resources):
        target = filename[:-3] if filename.endswith(".gz") else filename
        report(i / len(resources), f"{target} ({i + 1}/{len(resources)})")
        if (raw / target).is_file():
            continue
        last: Exception | None = None
        for mirror in cls.mirrors:
            try:
                download_and_extract_archive(f"{mirror}{filename}", download_root=str(raw), filename=filename,
                                             md5=md5)
                last = None
                break
            except Exception as exc:  # URLError, timeouts, checksum: try the next mirror
                last = exc
        if last is not None:
            reason = " ".join(f"{type(last).__name__}: {last}".split())[:160]
            raise DataMissingError(missing_message(name, root, download_error=reason)) from last
    report(1.0, "done")
    missing = check_dataset(name, root)
    if missing:
        raise DataMissingError(missing_message(name, root))
    return raw
