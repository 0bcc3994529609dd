"""``python -m sr_core ...`` runs the CLI.

Importing torch takes seconds, and a KeyboardInterrupt raised inside an import can leave a library
half-imported (later imports of it then fail in odd ways). So SIGINT/SIGTERM are only *recorded*
while the CLI imports, and acted on right after (one line, no traceback); :mod:`sr_core.cli.signals`
takes over once a trainer exists.
"""
from sr_core.cli.signals import defer_signals

if __name__ == "__main__":
    defer_signals()
    from sr_core.cli.main import main

    raise SystemExit(main())
