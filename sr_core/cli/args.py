"""Argument parsing shared by the CLI's commands (`main` and `sweep`): a parser whose errors are one
line, and argparse types for positive and finite numbers."""
from __future__ import annotations

import argparse
import math
from typing import Any

from sr_core.errors import UserError


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message}; see `{self.prog} --help`")


def number(text: str, cast: type, what: str) -> Any:
    """``cast(text)``, or argparse's one-line type error naming ``what`` was expected."""
    try:
        return cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not {what}") from None


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    v = number(text, int, "a whole number")
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {v})")
    return v


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    v = number(text, float, "a number")
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a positive number (got {text})")
    return v


def finite_float(text: str) -> float:
    """An argparse type: any finite number (no nan/inf)."""
    v = number(text, float, "a number")
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number (got {text})")
    return v
