"""Sweeps over settings x seeds: the spec, trial runner, statistics and the Ray driver."""
