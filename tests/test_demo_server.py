"""The studio's link to the try-it demo: ui.demo_server starts one demo process per studio process (a real
server here), and the Home page's button starts it and shows the link (AppTest, the start mocked)."""
from __future__ import annotations

import urllib.request

import pytest

from tests.app_support import page
from tests.e2e_helpers import free_port


def test_ensure_demo_starts_one_server_and_stops_it(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from ui import demo_server

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


def test_home_button_starts_the_demo_and_links_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import demo_server

    started = []
    monkeypatch.setattr(demo_server, "running_url", lambda: started[0] if started else None)
    monkeypatch.setattr(demo_server, "ensure_demo", lambda: started.append("http://127.0.0.1:7999/") or started[0])
    at = page()
    assert not at.exception and "Try it on your own image" in [h.value for h in at.subheader]
    assert not at.main.get("link_button")
    next(b for b in at.button if b.label == "Start the try-it demo").click().run()
    assert started == ["http://127.0.0.1:7999/"] and not at.exception
    links = at.main.get("link_button")
    assert [(e.proto.label, e.proto.url) for e in links] == [("Open the try-it demo", "http://127.0.0.1:7999/")]
