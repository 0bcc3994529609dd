"""`eval` of a shipped checkpoint reads assets/ and never writes there (`--out` into assets/ is refused)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"


def _digest() -> dict[str, str]:
    return {str(p.relative_to(ASSETS)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(ASSETS.rglob("*")) if p.is_file()}


def test_full_eval_of_a_shipped_checkpoint_leaves_assets_untouched(data_dir: Path, tmp_path: Path,
                                                                   monkeypatch, capsys) -> None:
    """A full evaluation (no --limit: the case that used to rewrite the shipped eval.json), run through the
    CLI's ``main``; the scoring itself is cut to 20 images so the test takes seconds, not minutes."""
    import sr_core.evaluate
    import sr_core.latent
    from sr_core.cli.main import main

    for mod, fn in ((sr_core.evaluate, "evaluate"), (sr_core.latent, "latent_metrics")):
        real = getattr(mod, fn)
        monkeypatch.setattr(mod, fn, lambda *a, _real=real, **k: _real(*a, **dict(k, limit=20)))
    before = _digest()
    assert main(["eval", str(ASSETS / "checkpoints" / "cnn-vae" / "checkpoint.pt"), "--json",
                 "--out", str(tmp_path / "e.json")]) == 0
    assert _digest() == before
    written = json.loads((tmp_path / "e.json").read_text())
    assert written["n_images"] == 20 and written == json.loads(capsys.readouterr().out)


def test_out_into_assets_is_refused(capsys, monkeypatch) -> None:
    from sr_core.cli.main import main

    monkeypatch.chdir(ROOT)  # --out as a user types it, relative to the checkout
    before = _digest()
    code = main(["eval", "assets/checkpoints/cnn-vae/checkpoint.pt", "--limit", "5",
                 "--out", "assets/checkpoints/cnn-vae/eval.json"])
    err = capsys.readouterr().err
    assert code == 2 and "read-only" in err and len(err.strip().splitlines()) == 1
    assert _digest() == before


def test_photo_eval_of_a_shipped_checkpoint_writes_only_out(tmp_path: Path, capsys) -> None:
    import numpy as np
    from PIL import Image

    from sr_core.cli.main import main

    (tmp_path / "imgs").mkdir()
    Image.fromarray((np.arange(32 * 32).reshape(32, 32) % 251).astype(np.uint8)).save(tmp_path / "imgs" / "a.png")
    before = _digest()
    code = main(["eval", str(ASSETS / "checkpoints" / "cnn-vae" / "checkpoint.pt"), "--images", str(tmp_path / "imgs"),
                 "--json", "--out", str(tmp_path / "p.json")])
    assert code == 0 and _digest() == before
    assert json.loads((tmp_path / "p.json").read_text()) == json.loads(capsys.readouterr().out)
