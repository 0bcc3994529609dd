"""The try-it demo (``demo.py``) started from the studio: one background process per studio process.

The Home page calls :func:`ensure_demo` when the user asks for the demo: the first call starts
``python demo.py --host 127.0.0.1 --port P`` as a child process (P: ``$SR_DEMO_PORT``, else 7860 when it is
free, else any free port) and waits until it answers; later calls return the same URL. A separate process
rather than a thread: Gradio's server, its queue and the models' memory stay out of the Streamlit process,
and the child dies with the studio (it is terminated at exit and shares the studio's process group).
No Streamlit import here.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DEFAULT_PORT = 7860
_lock = threading.Lock()
_proc: subprocess.Popen | None = None
_url: str | None = None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def _pick_port() -> int:
    env = os.environ.get("SR_DEMO_PORT", "").strip()
    if env:
        return int(env)
    if _port_free(DEFAULT_PORT):
        return DEFAULT_PORT
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def running_url() -> str | None:
    """The demo's URL if this process started it and it is still running, else None."""
    with _lock:
        return _url if _proc is not None and _proc.poll() is None else None


def ensure_demo(timeout: float = 90.0) -> str:
    """Start the demo once per process (or reuse it) and return its URL when it answers.

    Raises RuntimeError with one line (and the end of the demo's log) if it does not come up in time."""
    global _proc, _url
    with _lock:
        if _proc is None or _proc.poll() is not None:
            port = _pick_port()
            log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"sr_demo_{port}.log", "wb")  # noqa: SIM115
            env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
            _proc = subprocess.Popen([sys.executable, str(ROOT / "demo.py"), "--host", HOST, "--port", str(port)],
                                     cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            _url = f"http://{HOST}:{port}/"
            atexit.register(stop_demo)
        proc, url = _proc, _url
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the demo exited with code {proc.returncode}; see {log_path(url)}")
        if _answers(url):
            return url
        time.sleep(0.3)
    raise RuntimeError(f"the demo did not answer at {url} within {timeout:.0f} s; see {log_path(url)}")


def log_path(url: str) -> Path:
    """Where the demo started for ``url`` writes its log."""
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"sr_demo_{url.rstrip('/').rsplit(':', 1)[1]}.log"


def stop_demo() -> None:
    """Terminate the demo started by this process (no-op if none)."""
    global _proc, _url
    with _lock:
        proc, _proc, _url = _proc, None, None
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
