"""Every process-wide object of the studio, made one way: an ``st.cache_resource`` getter in this module.

One server process holds one of each, shared by every session, tab and page: the training-job registry
(:class:`ui.jobs.JobRegistry`), the background worker for set-level work (:class:`ui.background.
BackgroundWorker`: Compare's table, Spectra's set averages, the Latent table) and the sweep launcher
(:class:`ui.sweeps.SweepLauncher`). ``getter.clear()`` forgets one (tests; the next call makes a fresh one).
The classes themselves are plain Python; only this module decides their lifetime.
"""
from __future__ import annotations

import streamlit as st

from ui.background import BackgroundWorker
from ui.jobs import JobRegistry, default_torch_threads
from ui.sweeps import SweepLauncher


@st.cache_resource(show_spinner=False)
def job_registry() -> JobRegistry:
    """The one job registry of this server process (shared by every session and tab)."""
    return JobRegistry()


@st.cache_resource(show_spinner=False)
def worker() -> BackgroundWorker:
    """The one background worker of this server process (torch threads as :func:`ui.jobs.default_torch_threads`)."""
    return BackgroundWorker(torch_threads=default_torch_threads())


@st.cache_resource(show_spinner=False)
def sweep_launcher() -> SweepLauncher:
    """The one sweep launcher of this server process (shared by every session and tab)."""
    return SweepLauncher()
