"""UI overhead: training images/s while the Train page refreshes vs. the same training headless, in one run.

    SR_DATA_DIR=../shared/data .venv/bin/python bench/ui_overhead.py [--steps N] [--slice-s S] [--poll-s P] [--quick]

Both sides train the same :class:`sr_core.config.TrainConfig` (preset ``quick``: cnn-vae, batches of
100) on the CPU through the code the CLI and the app use, with the torch intra-op thread count the
app uses (:func:`ui.jobs.default_torch_threads`: 1 on a 2-core machine; ``$SR_TORCH_THREADS`` overrides):

* ``headless``: ``prepare_run(cfg)`` + ``trainer.run()`` in the main thread (what ``python -m sr_core
  train`` does), after ``torch.set_num_threads(threads)``.
* ``ui``: a :class:`ui.jobs.JobRegistry` (the class the Train page keeps in ``st.cache_resource``)
  starts the same config as a background :class:`sr_core.jobs.TrainJob`, and the main thread plays a
  browser tab that keeps the Train page open: it runs the page's own live fragments on the page's
  own schedule. To find them, ``pages/1_Train.py`` is loaded as a private module (its
  ``job_registry`` pointed at this benchmark's registry, so nothing process-wide is touched) and its
  ``main()`` runs once in Streamlit's bare mode with ``st.fragment`` recorded instead of registered:
  every ``st.fragment(run_every=T)(fn)(*args)`` becomes "call ``fn(*args)`` every T seconds"
  (today: the status panel every 1 s, the charts every 3 s). Each call does what a refresh does in the
  server: the job snapshot, the elements, both loss figures built and serialised to JSON by
  ``st.plotly_chart``, the SR-preview PNG for ``st.image``; it holds the GIL against the training
  thread just as in the server. Not included: the websocket send and the browser's own rendering
  (``tests/test_e2e_browser.py`` drives the real thing). ``--poll-s P`` instead calls every fragment
  every P seconds (``--poll-s 1``: "a client polls every second", the worst case). If the page cannot
  be run this way, the same work written out here (snapshot, both loss figures and their JSON, the
  preview PNG) is done every second instead, and ``meta.poll_mode`` says ``figures``.

Interleaving (the machine is small and shared; other processes come and go): both trainers exist for
the whole run and take turns in slices of ``--slice-s`` seconds (default: about 3 s, rounded to a whole
number of the longest refresh period, so every UI slice holds the same refreshes). The UI job's trainer gets one
extra ``on_step`` callback, a gate: outside its slices it waits there, so it uses no CPU while the
headless trainer runs; the headless trainer's ``on_step`` callback runs the UI slice (open the gate,
refresh the page on schedule, close the gate and wait until the job has parked) and then resumes.
So the two modes alternate every few seconds and load bursts from other processes hit both alike.

What is timed: every training step on its own, from the moment its trainer resumes after the
previous step's callbacks to the moment the next ``on_step`` fires (batch assembly, forward, loss,
the loss sync, backward, Adam, the trainer's bookkeeping). A slice's rate is its steps x batch / the
sum of its step times. Evaluations and checkpoints are outside the measurement (``eval_every`` and
``checkpoint_every`` are beyond the run; one evaluation runs before the first step of each trainer).
The first slice pair is a warm-up and is dropped.

Report: ``ui_img_s`` and ``headless_img_s`` are medians over slices, ``ratio`` = ui_img_s /
headless_img_s; ``meta`` has the median of the per-pair ratios (each UI slice against the headless
slice just before it), the overall images/time rates, the per-fragment refresh costs and the slices.
Target: ratio >= 0.9.

Progress goes to stderr; a table and then, as the last line of stdout, one JSON object::

    {"ui_img_s": ..., "headless_img_s": ..., "ratio": ..., "meta": {...}}
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
TRAIN_PAGE = ROOT / "pages" / "1_Train.py"
TARGET = 0.9
DEFAULT_PRESET = "quick"      # cnn-vae, batches of 100: the preset the Home page recommends
DEFAULT_STEPS = 600           # timed steps per mode (about 40 s each at 1,500 img/s)
DEFAULT_SLICE_S = 3.0         # seconds per turn of each mode
DEFAULT_EVAL_LIMIT = 1000     # test images in each trainer's one (untimed) evaluation before step 1
FOREVER = 10 ** 7             # steps/eval/checkpoint interval of the configs: the benchmark stops them
QUICK = dict(steps=12, slice_s=0.4, eval_limit=200)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _import_project() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _quiet_streamlit() -> int:
    """Silence Streamlit's bare-mode warnings (several per element per refresh); returns the old level."""
    from streamlit import config as st_config
    from streamlit import logger as st_logger

    st_config.get_option("logger.level")  # parse the config now: parsing resets the log level
    old = st_logger._global_log_level
    st_logger.set_log_level("error")
    return old


# ------------------------------------------------------------------------------ the client side

@dataclass
class Fragment:
    name: str
    period: float
    call: Callable[[], Any]
    next_due: float = 0.0
    ms: list[float] = field(default_factory=list)


class _RecordingStreamlit:
    """Stands in for the page's ``st``: everything is Streamlit, except that ``st.fragment(...)(fn)(*a)``
    records ``fn``, its ``run_every`` and its arguments instead of registering a fragment."""

    def __init__(self, real: Any, found: list[tuple[Callable, float | None, tuple, dict]]) -> None:
        self._real, self._found = real, found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def fragment(self, func: Callable | None = None, *, run_every: Any = None, **_: Any):
        def wrap(fn: Callable) -> Callable:
            def call(*args: Any, **kwargs: Any) -> None:
                period = run_every.total_seconds() if hasattr(run_every, "total_seconds") else run_every
                self._found.append((fn, float(period) if period else None, args, kwargs))
            return call
        return wrap(func) if func is not None else wrap


def page_fragments(registry: Any) -> list[Fragment]:
    """The Train page's live fragments (name, refresh period, bound call), found by running its main()."""
    import streamlit

    spec = importlib.util.spec_from_file_location("_bench_train_page", TRAIN_PAGE)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # (dataclasses and pickling look the module up while it executes)
    spec.loader.exec_module(mod)  # the page's main() runs only under __main__
    mod.job_registry = lambda: registry
    found: list[tuple[Callable, float | None, tuple, dict]] = []
    mod.st = _RecordingStreamlit(streamlit, found)
    mod.main()
    frags = [Fragment(fn.__name__, period, (lambda fn=fn, a=args, k=kwargs: fn(*a, **k)))
             for fn, period, args, kwargs in found if period]
    if not frags:
        raise RuntimeError(f"{TRAIN_PAGE.name} registered no auto-refreshing fragment while a job runs")
    return frags


def figures_fragment(registry: Any) -> Fragment:
    """The refresh work written out (fallback when the page cannot be run): snapshot, both loss figures
    as ``st.plotly_chart`` serialises them, the SR-preview PNG."""
    import plotly.io
    import plotly.tools

    from sr_core.models import model_class
    from ui.figures import loss_figure
    from ui.images import mosaic, png_bytes

    def refresh() -> None:
        snap = registry.snapshot()
        if snap is None:
            return
        cfg = registry.config
        marks = list(cfg.alpha_schedule[1:]) if cfg is not None else []
        names = list(model_class(cfg.model).loss_names) if cfg is not None else None
        comps = [c for c in names if c != "kl"] if names else None
        for rows, kw in ((snap["train"], dict(smoothing=0.6)), (snap["test"], dict(markers=True))):
            fig = loss_figure(rows, components=comps, log_y=False, alpha_changes=marks, title="Loss", **kw)
            plotly.io.to_json(plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True),
                              validate=False)
        prev = snap.get("preview")
        if prev is not None:
            png_bytes(mosaic([list(prev["lr"]), list(prev["sr"]), list(prev["hr"])], size=28, gap=2), scale=2)

    return Fragment("figures (written out)", 1.0, refresh)


def _fmt_row(cols: list[Any], widths: list[int]) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cols, widths)))


# ------------------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=None,
                        help=f"timed steps per mode, after the warm-up slices (default {DEFAULT_STEPS})")
    parser.add_argument("--slice-s", type=float, default=None,
                        help=f"seconds per turn of each mode (default: about {DEFAULT_SLICE_S:g}, a whole "
                             f"number of the longest refresh period)")
    parser.add_argument("--poll-s", type=float, default=None,
                        help="refresh every fragment every POLL_S seconds (default: the page's own run_every)")
    parser.add_argument("--preset", default=DEFAULT_PRESET, help=f"training preset (default {DEFAULT_PRESET})")
    parser.add_argument("--eval-limit", type=int, default=None,
                        help=f"test images in the untimed first evaluation (default {DEFAULT_EVAL_LIMIT})")
    parser.add_argument("--data-dir", default=None, help="data root (default $SR_DATA_DIR or ./data)")
    parser.add_argument("--quick", action="store_true", help="a few steps in short slices: a smoke test")
    args = parser.parse_args(argv)

    q = QUICK if args.quick else {}
    steps = args.steps if args.steps is not None else q.get("steps", DEFAULT_STEPS)
    slice_s = args.slice_s if args.slice_s is not None else q.get("slice_s", DEFAULT_SLICE_S)
    eval_limit = args.eval_limit if args.eval_limit is not None else q.get("eval_limit", DEFAULT_EVAL_LIMIT)
    if steps < 1 or slice_s <= 0 or (args.poll_s is not None and args.poll_s <= 0):
        parser.error("need --steps >= 1, --slice-s > 0, --poll-s > 0")

    _import_project()
    import torch

    from bench._common import json_line
    from bench._ui_timing import Gate, Scheduler, slice_rates
    from sr_core.config import preset_config
    from sr_core.data import check_dataset, resolve_data_dir
    from sr_core.jobs import prepare_run
    from ui.jobs import JobRegistry, default_torch_threads

    data_dir = (Path(args.data_dir) if args.data_dir else resolve_data_dir(None)).resolve()
    missing = check_dataset("fashion-mnist", data_dir)
    if missing:
        raise SystemExit(f"Fashion-MNIST not found under {data_dir} (missing {', '.join(missing)}); "
                         f"set SR_DATA_DIR or pass --data-dir")

    cfg = preset_config(args.preset, steps=FOREVER, eval_every=FOREVER, checkpoint_every=FOREVER,
                        eval_limit=eval_limit, device="cpu")
    threads = default_torch_threads()
    old_threads = torch.get_num_threads()
    old_level = _quiet_streamlit()
    torch.set_num_threads(threads)  # the headless side; the job thread sets the same count itself
    t_start = time.perf_counter()
    poll_mode, poll_error = "page", ""
    try:
        with tempfile.TemporaryDirectory(prefix="ui_overhead-") as runs_dir:
            _log(f"[ui_overhead] preset {args.preset}, {threads} torch thread(s), {steps} timed steps per mode")
            headless, _ = prepare_run(cfg, runs_dir=runs_dir, name="headless", data_dir=str(data_dir),
                                      command=["bench/ui_overhead.py"])
            registry = JobRegistry(torch_threads=threads)
            gate = Gate()
            job = registry.start(cfg, name="ui", runs_dir=runs_dir, data_dir=str(data_dir))
            # Attached while the job runs its first evaluation (before step 1); a step finished before
            # this line would only be untimed, and the job parks at its next step.
            job.trainer.add_callback("on_step", gate.on_step)
            try:
                try:
                    fragments = page_fragments(registry)
                except Exception as exc:  # the page is being edited: measure the same work without it
                    poll_mode, poll_error = "figures", f"{type(exc).__name__}: {exc}"
                    _log(f"[ui_overhead] could not run {TRAIN_PAGE.name} ({poll_error}); "
                         f"refreshing the written-out figure work every second instead")
                    fragments = [figures_fragment(registry)]
                if args.poll_s is not None:
                    for f in fragments:
                        f.period = args.poll_s
                if args.slice_s is None and not args.quick:
                    # Every UI slice must hold the same refreshes (the slice medians would skip the
                    # rare expensive one otherwise): a whole number of the longest refresh period.
                    longest = max(f.period for f in fragments)
                    slice_s = longest * max(1, round(DEFAULT_SLICE_S / longest))
                _log("[ui_overhead] refreshes: " + ", ".join(f"{f.name} every {f.period:g} s" for f in fragments)
                     + f"; slices of {slice_s:g} s")
                gate.wait_parked()
                for f in fragments:  # the first call of each pays one-time costs (imports, caches)
                    f.call()
                sched = Scheduler(gate=gate, fragments=fragments, slice_s=slice_s, steps=steps, job=job,
                                  headless=headless)
                headless.add_callback("on_step", sched.on_step)
                status = headless.run()
                if sched.error is not None:
                    raise sched.error
                if status != "stopped":
                    raise RuntimeError(f"headless trainer ended with status {status}: "
                                       f"{headless.snapshot()['message']}")
            finally:
                registry.stop()
                gate.release()
                job.join(120)
            snap = registry.snapshot()
            if snap["error"] or snap["status"] not in ("stopped", "finished"):
                raise RuntimeError(f"UI job ended with status {snap['status']}: {snap['error'] or snap['message']}")
    finally:
        torch.set_num_threads(old_threads)
        from streamlit import logger as st_logger

        st_logger.set_log_level(old_level)

    batch = cfg.batch_size
    h_rates, u_rates = slice_rates(sched.clock, batch), slice_rates(gate.clock, batch)
    pairs = sorted(set(h_rates) & set(u_rates))
    if not pairs:
        raise RuntimeError("no complete slice pair was measured; raise --steps or lower --slice-s")
    med_h = statistics.median(h_rates[k][0] for k in pairs)
    med_u = statistics.median(u_rates[k][0] for k in pairs)
    ratio = med_u / med_h
    pair_ratios = [u_rates[k][0] / h_rates[k][0] for k in pairs]
    overall = {name: sum(r[1] for k, r in rates.items() if k in pairs) * batch /
               sum(r[2] for k, r in rates.items() if k in pairs)
               for name, rates in (("headless", h_rates), ("ui", u_rates))}

    widths = [5, 13, 7, 11, 7, 8]
    print(_fmt_row(["pair", "headless img/s", "steps", "ui img/s", "steps", "ui/head"], widths))
    for k in pairs:
        print(_fmt_row([k, f"{h_rates[k][0]:.0f}", h_rates[k][1], f"{u_rates[k][0]:.0f}", u_rates[k][1],
                        f"{u_rates[k][0] / h_rates[k][0]:.3f}"], widths))
    for f in fragments:
        ms = f.ms or [0.0]
        print(f"refresh {f.name}: every {f.period:g} s, {len(f.ms)} calls, median {statistics.median(ms):.0f} ms, "
              f"max {max(ms):.0f} ms")
    print(f"median over {len(pairs)} slice pairs: ui {med_u:.0f} img/s, headless {med_h:.0f} img/s, "
          f"ratio {ratio:.3f} (median of pair ratios {statistics.median(pair_ratios):.3f}; "
          f"target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'})")

    report = {
        "ui_img_s": round(med_u, 1),
        "headless_img_s": round(med_h, 1),
        "ratio": round(ratio, 4),
        "meta": {
            "target": TARGET, "target_met": ratio >= TARGET,
            "ratio_median_of_pairs": round(statistics.median(pair_ratios), 4),
            "ratio_overall": round(overall["ui"] / overall["headless"], 4),
            "ui_img_s_overall": round(overall["ui"], 1), "headless_img_s_overall": round(overall["headless"], 1),
            "preset": args.preset, "model": cfg.model, "batch_size": batch, "device": "cpu",
            "torch_threads": threads, "cpu_count": os.cpu_count(),
            "timed_steps": {"headless": sum(h_rates[k][1] for k in pairs), "ui": sum(u_rates[k][1] for k in pairs)},
            "slice_s": slice_s, "slice_pairs": len(pairs), "warmup_pairs": 1,
            "poll_mode": poll_mode, "poll_error": poll_error,
            "refresh": {f.name: {"period_s": f.period, "calls": len(f.ms),
                                 "ms_median": round(statistics.median(f.ms), 1) if f.ms else None,
                                 "ms_max": round(max(f.ms), 1) if f.ms else None} for f in fragments},
            "poll_ms_median": round(statistics.median([m for f in fragments for m in f.ms]), 1)
            if any(f.ms for f in fragments) else None,
            "headless_img_s_slices": [round(h_rates[k][0], 1) for k in pairs],
            "ui_img_s_slices": [round(u_rates[k][0], 1) for k in pairs],
            "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
            "total_s": round(time.perf_counter() - t_start, 1),
        },
    }
    print(json_line(report), flush=True)
    return report


if __name__ == "__main__":
    main()
