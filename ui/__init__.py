"""The studio's and the demo's UI code, in three rooms.

``ui/`` itself: presenters with no Streamlit or Gradio import — what a page or the demo shows, computed
from ``sr_core`` (``compare``, ``latent``, ``spectra``, ``set_level``, ``photo_compare``, ``train_view``,
``run_tables``, ``sweeps``), plotly figure builders (``figures``), display PNGs (``images``), labels,
the process-wide background worker (``background``) and training-job registry (``jobs``). Tests call
them without a browser.

``ui/studio/``: the Streamlit-bound pieces the pages share (``widgets``, ``model_picker``, ``monitor``,
``photo_views``, ``chart_options``, ``bench_support`` for the benchmarks) and ``services``, where every process-wide object is made.

``ui/demo/``: the Gradio-bound pieces of demo.py (``inputs``) and starting the demo from the studio
(``server``). The demo imports nothing Streamlit-specific (tests/core/test_import_graph.py).
"""
