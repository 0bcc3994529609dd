"""The studio's link to the try-it demo: ui.demo.server starts one demo process per studio process (a real
server here), and the Home page's button starts it and shows the link (AppTest, the start mocked)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e_helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_ensure_demo_starts_one_server_and_stops_it(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from ui.demo import server as demo_server

    port = free_port()
    monkeypatch.setenv("SR_DEMO_PORT", str(port))
    monkeypatch.setenv("SR_RUNS_DIR", str(tmp_path / "runs"))
    try:
        url = demo_server.ensure_demo(timeout=180)
        assert url == f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200 and b"gradio" in r.read().lower()
        pid = demo_server._proc.pid
        assert demo_server.ensure_demo() == url and demo_server._proc.pid == pid  # one instance, reused
        assert demo_server.running_url() == url
    finally:
        proc = demo_server._proc
        demo_server.stop_demo()
    assert demo_server.running_url() is None and proc.poll() is not None


# Run in a fresh interpreter: AppTest runs scripts on the caller's thread, and an earlier AppTest in the
# pytest process can leave Streamlit's layout stack inside the Train page's st.form.
HOME_BUTTON_SCRIPT = r"""
import json, sys
sys.path.insert(0, ".")
from ui.demo import server as demo_server
started = []
demo_server.running_url = lambda: started[0] if started else None
demo_server.ensure_demo = lambda: started.append("http://127.0.0.1:7999/") or started[0]
from tests.app_support import page
at = page()
before = {"exception": [str(e.value) for e in at.exception], "subheaders": [h.value for h in at.subheader],
          "links": len(at.main.get("link_button"))}
next(b for b in at.button if b.label == "Start the try-it demo").click().run()
after = {"exception": [str(e.value) for e in at.exception], "started": started,
         "links": [(e.proto.label, e.proto.url) for e in at.main.get("link_button")]}
print(json.dumps({"before": before, "after": after}))
"""


def test_home_button_starts_the_demo_and_links_to_it(tmp_path) -> None:
    env = {**os.environ, "SR_RUNS_DIR": str(tmp_path / "runs")}
    proc = subprocess.run([sys.executable, "-c", HOME_BUTTON_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    before, after = out["before"], out["after"]
    assert not before["exception"] and "Try it on your own image" in before["subheaders"] and before["links"] == 0
    assert not after["exception"] and after["started"] == ["http://127.0.0.1:7999/"]
    assert after["links"] == [["Open the try-it demo", "http://127.0.0.1:7999/"]]
