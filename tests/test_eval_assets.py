"""`eval` of a shipped checkpoint reads assets/ and never writes there (`--out` into assets/ is refused)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"


def _digest() -> dict[str, str]:
    return {str(p.relative_to(ASSETS)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(ASSETS.rglob("*")) if p.is_file()}


def _eval(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sr_core", "eval", "assets/checkpoints/cnn-vae/checkpoint.pt", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_full_eval_of_a_shipped_checkpoint_leaves_assets_untouched(data_dir: Path, tmp_path: Path) -> None:
    before = _digest()
    out = _eval("--json", "--out", str(tmp_path / "e.json"))
    assert out.returncode == 0, out.stderr
    assert _digest() == before
    written = json.loads((tmp_path / "e.json").read_text())
    assert written["n_images"] == 10000 and written == json.loads(out.stdout)


def test_out_into_assets_is_refused(tmp_path: Path) -> None:
    before = _digest()
    out = _eval("--limit", "5", "--out", "assets/checkpoints/cnn-vae/eval.json")
    assert out.returncode == 2 and "read-only" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert _digest() == before
