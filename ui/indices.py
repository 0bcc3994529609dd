"""Test-image indices typed by a person: ``"0, 5, 10-12"`` -> [0, 5, 10, 11, 12].

Ranges are checked against the set size and the count cap *before* any list is built, so
``0-99999999999`` is one line, not a MemoryError.
"""
from __future__ import annotations

import re

from sr_core.errors import UserError

MAX_INDICES = 64  # more images than the Compare grid can show in a useful way


def parse_indices(text: str, n: int, max_count: int = MAX_INDICES) -> list[int]:
    """Distinct indices in typed order; each in [0, n), at most ``max_count`` of them (else a UserError)."""
    spans: list[tuple[int, int]] = []
    total = 0
    for part in [p for p in re.split(r"[,\s]+", text.strip()) if p]:
        m = re.fullmatch(r"(\d{1,18})(?:-(\d{1,18}))?", part)
        if not m:
            raise UserError(f"cannot read test index '{part}'; write numbers and ranges such as 0, 5, 10-12")
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        if b < a:
            raise UserError(f"range '{part}' runs backwards; write it as {b}-{a}")
        if b >= n:
            raise UserError(f"test index {b} is out of range; the test set has indices 0 to {n - 1}")
        total += b - a + 1
        if total > max_count:
            raise UserError(f"more than {max_count} test images chosen; pick at most {max_count} (e.g. 0-{max_count - 1})")
        spans.append((a, b))
    if not spans:
        raise UserError("no test images chosen; type at least one index such as 0")
    return list(dict.fromkeys(i for a, b in spans for i in range(a, b + 1)))
