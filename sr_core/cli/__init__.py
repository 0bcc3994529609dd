"""The command line: `python -m sr_core ...` (main), shared argument parsers, sweeps, signals."""
