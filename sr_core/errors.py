"""Errors meant for people.

Every error a user can cause (a bad argument, a missing data folder, a foreign checkpoint)
is a :class:`UserError` whose message is one line that names the problem and the fix.
The CLI prints it on stderr and exits with code 2; the UI shows it and keeps running.
"""
from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``str(err)`` is one line naming the problem and the fix."""

    def __init__(self, message: str) -> None:
        # Keep it to one line whatever the caller passed in.
        super().__init__(" ".join(str(message).split()))


class DataMissingError(UserError):
    """The dataset files are not in the data folder and could not be downloaded."""


class CheckpointError(UserError):
    """A checkpoint file is missing, corrupt, or was not written by sr_core."""
