"""``python -m sr_core ...`` runs the CLI.

SIGTERM is turned into KeyboardInterrupt before anything heavy is imported (torch takes seconds), so
Ctrl-C or a TERM during start-up ends with one line and no traceback; :mod:`sr_core.signals` takes
over once a trainer exists.
"""
import signal
import sys


def _start_up_signal(signum, frame):  # noqa: ANN001
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _start_up_signal)
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("interrupted during start-up; nothing was written", file=sys.stderr)
        raise SystemExit(130)
    raise SystemExit(main())
