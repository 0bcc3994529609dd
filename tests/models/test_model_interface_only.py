"""Callers read model capabilities from the declared interface only (sr_core/models/base.py): no module
outside sr_core/models/ (and tests/) guesses them with getattr/hasattr."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAPABILITY_GUESS = re.compile(
    r"""(getattr|hasattr)\([^\n]*?['"](stochastic|takes_temperature|temperature|fully_convolutional|has_latent)['"]""")
SKIP = ("sr_core/models/", "tests/", ".venv/")


def _sources() -> list[Path]:
    return [p for p in ROOT.rglob("*.py")
            if not any(str(p.relative_to(ROOT)).startswith(s) for s in SKIP) and "site-packages" not in str(p)]


def test_no_getattr_or_hasattr_of_model_capabilities_outside_the_models() -> None:
    sources = _sources()
    assert any(p.name == "upscale.py" for p in sources) and len(sources) > 40  # the scan sees the tree
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in sources
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if CAPABILITY_GUESS.search(line)]
    assert not hits, "read the declared capability instead:\n" + "\n".join(hits)


def test_the_pattern_catches_a_guess() -> None:
    assert CAPABILITY_GUESS.search('declared = getattr(type(model), "takes_temperature", None)')
    assert CAPABILITY_GUESS.search("hasattr(model.config, 'temperature')")
    assert not CAPABILITY_GUESS.search("model.takes_temperature")
