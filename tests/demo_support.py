"""The try-it demo (demo.py) served on a free port of 127.0.0.1 inside the test process, for the API and
README tests: ``launch(prevent_thread_lock=True)``, closed at teardown. ``SR_RUNS_DIR`` points at a
temporary folder holding one tiny trained run (``run:tiny-run``), so runs are served beside the shipped
checkpoints."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
RUN_NAME = "tiny-run"


def make_tiny_run(runs_dir: Path) -> None:
    """A run folder with an (untrained, small) resnet-sr checkpoint, as `train` would leave it."""
    from sr_core.checkpoint import save_checkpoint
    from sr_core.models import build_model
    from sr_core.runs.store import create_run

    run = create_run({"model": "resnet-sr", "steps": 1}, runs_dir=runs_dir, name=RUN_NAME)
    save_checkpoint(run.checkpoint_path, build_model("resnet-sr", {"channels": 8, "blocks": 1}, seed=0), step=1)
    run.write_status(status="finished", step=1, total_steps=1)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a running demo server (module-scoped: one launch per test file)."""
    import torch

    from tests.e2e_helpers import free_port

    torch.set_num_threads(1)
    runs = tmp_path_factory.mktemp("demo_runs")
    make_tiny_run(runs)
    mp = pytest.MonkeyPatch()
    mp.setenv("SR_RUNS_DIR", str(runs))
    import demo

    app = demo.build_demo()
    port = free_port()
    demo.launch(app, port=port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
        mp.undo()
