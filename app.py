"""The studio's entry point (``streamlit run app.py``): the router.

``st.navigation`` serves the pages in pages/ (home, train, compare, latent, spectra, runs, sweeps) at
``/``, ``/train``, ``/compare``, … and draws the sidebar from :data:`ui.studio.widgets.NAV`; each page sets
up its own frame with :func:`ui.studio.widgets.page_setup`.
"""
from __future__ import annotations

from ui.studio.widgets import navigation

navigation().run()
