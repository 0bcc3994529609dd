"""Try it on your own image: a Gradio demo and HTTP API for the shipped and trained models.

    .venv/bin/python demo.py                 # http://127.0.0.1:7860  (--host / --port to change)

Thin on purpose: widgets -> :func:`sr_core.upscale.upscale` -> images, a table, a plotly figure. Decoding,
limits, colour handling, fitting and tiling live in ``sr_core`` (imageio, upscale, tiling, model_catalog).
The named endpoint ``/upscale`` (image file, model, mode, ...) -> (SR PNG, JSON info) is the HTTP API.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry

import argparse
import functools
import hashlib
import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import numpy as np

from sr_core.fs import atomic_write_bytes
from sr_core.degrade import DEGRADATIONS
from sr_core.errors import UserError
from sr_core.imaging.io import (LIMITS_TEXT, MAX_FILE_BYTES, decode_image, display_zoom, encode_png, image_from_array,
                             to_uint8)
from sr_core.imaging.examples import demo_examples
from sr_core.runs.auto import AUTO, AUTO_TEXT, default_model_for, is_auto
from sr_core.runs.catalog import SHIPPED_DISPLAY, labelled_choices, load_model, load_path, resolve
from sr_core.runs.trained_on import trained_on_text
from sr_core.imaging.upscale import MAX_SAMPLES, PROTOCOL, Y_NOTE, fit_square, upscale
from ui.figures import radial_profile_figure
from ui.demo.inputs import BoundedSketchpad, ImageFile, RawNumber, RawSlider, check_api_args
from ui.images import colorize

log = logging.getLogger("sr_demo")
HOST, PORT = "127.0.0.1", 7860
CONCURRENCY = 1  # one SR at a time: two users cannot exhaust memory; the rest wait in the queue
MODE_CHOICES = [("this is the low-resolution input — make it 2× larger", "lr"),
                ("this is the truth — shrink it 2×, super-resolve, score", "truth")]
OUT_DIR = Path(tempfile.gettempdir()) / "sr_demo"
MAX_OUTPUTS = 200  # SR PNGs kept in OUT_DIR (the oldest are deleted; a download needs only the latest)
GRADIO_CACHE = (600, 3600)  # Gradio deletes its uploads/outputs cache every 10 min, files older than 1 h
SKETCH_SIDE = 28  # drawings are resized to the dataset's size
PIXELATED_CSS = ".gradio-container img {image-rendering: pixelated;}"  # small images: no browser smoothing


def guarded(fn: Callable) -> Callable:
    """A bad input is a one-line gr.Error; anything else is logged here and shown as one line too."""
    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except UserError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except gr.Error:
            raise
        except MemoryError:
            raise gr.Error("out of memory for this image; try a smaller one", print_exception=False) from None
        except Exception as exc:  # the server keeps serving; the page gets one line
            log.exception("upscale failed")
            raise gr.Error(f"internal error ({type(exc).__name__}); the server keeps running — try another "
                           f"image or model", print_exception=False) from None
    return wrapper


def _decode(image: str | bytes | None, sketch: dict | None, source: str) -> Any:
    if source == "draw":
        comp = (sketch or {}).get("composite")
        if comp is None or not np.asarray(comp).any():
            raise UserError("the sketchpad is empty; draw something (white on black) or use the Upload tab")
        drawn = image_from_array(np.asarray(comp), name="the drawing")
        drawn.pixels = fit_square(drawn.pixels, SKETCH_SIDE)
        drawn.notes.append(f"the drawing was resized to {SKETCH_SIDE}×{SKETCH_SIDE} (the dataset's size)")
        return drawn
    if image is None:
        raise UserError("no image yet; upload or paste one, pick an example, or draw on the Draw tab")
    return decode_image(image, name="the image")


def _model(model_name: str, decoded: Any) -> tuple[Any, dict[str, Any], list[str]]:
    """(model, {model, trained_on, auto}, notes) for a model name or ``auto`` (sr_core.runs.auto picks a
    shipped checkpoint from the image: a photo model for a photograph, resnet-sr for a 28×28 grey image)."""
    notes = []
    name = model_name.strip()
    chose = is_auto(name)
    if chose:
        name, note = default_model_for(decoded)
        notes.append(note)
    model, ckpt = load_path(resolve(SHIPPED_DISPLAY + name if chose else name))
    return model, {"model": name, "trained_on": trained_on_text(ckpt.get("train_config") or {}), "auto": chose}, notes


def _run(image: Any, sketch: Any, source: str, model_name: str, mode: str, degradation: str,
         temperature: float, samples: int, seed: int) -> tuple[dict[str, Any], Any]:
    # API callers can send anything: wrong types and NaN are named in one line; the temperature is
    # clamped into [0, 5], the seed folded into torch's range.
    temperature, samples, seed = check_api_args(
        model_name, mode, degradation, temperature, samples, seed, modes=[v for _, v in MODE_CHOICES],
        degradations=list(DEGRADATIONS), max_samples=MAX_SAMPLES)
    decoded = _decode(image, sketch, source)
    model, chosen, notes = _model(model_name, decoded)
    # API callers can send anything: the temperature into the model's own range (SRModel.clamp_temperature,
    # inside upscale), the seed into torch's range.
    r = upscale(model, decoded, mode=mode, degradation=degradation, temperature=temperature,
                samples=int(samples), seed=int(seed) % 2**32)
    r.notes[:0] = notes
    return chosen, r


def prune_outputs(keep: int = MAX_OUTPUTS) -> int:
    """Delete all but the ``keep`` newest SR PNGs in OUT_DIR (bounded disk); returns how many went."""
    try:
        files = sorted(OUT_DIR.glob("sr_*.png"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return 0
    gone = 0
    for p in files[keep:]:
        try:
            p.unlink()
            gone += 1
        except OSError:
            pass  # another request removed it meanwhile
    return gone


def _save_png(img: np.ndarray, model_name: str) -> str:
    data = encode_png(img)
    path = OUT_DIR / f"sr_{model_name.replace(':', '_')}_{hashlib.sha1(data).hexdigest()[:12]}.png"
    atomic_write_bytes(path, data)
    os.utime(path)  # the same image again counts as new for prune_outputs
    prune_outputs()
    return str(path)


def _info(chosen: dict[str, Any], r: Any) -> dict[str, Any]:
    """The API's JSON info: ``model`` (the checkpoint used; with ``auto``, the one it chose), ``trained_on``,
    ``auto`` (whether auto chose it), sizes, metrics, notes."""
    h, w = r.sr.shape[:2]
    finite = lambda d: {k: (v if math.isfinite(v) else str(v)) for k, v in d.items()}  # noqa: E731
    return {**chosen, "input_size": [r.lr.shape[1], r.lr.shape[0]], "output_size": [w, h],
            "tiled": r.tiled, "fitted_to_14x14": r.fitted, "samples": len(r.samples),
            "metrics": {k: finite(v) for k, v in r.metrics.items()}, "protocol": PROTOCOL if r.metrics else "",
            "notes": r.notes}


def _summary(info: dict[str, Any]) -> str:
    how = "; chosen by auto" if info.get("auto") else ""
    lines = [f"**{info['model']}** (trained on {info['trained_on']}{how}): "
             f"{info['input_size'][0]}×{info['input_size'][1]} → "
             f"{info['output_size'][0]}×{info['output_size'][1]}"
             + (" (in overlapping tiles)" if info["tiled"] else "")]
    lines += [f"- {n}" for n in info["notes"]]
    if info["metrics"]:
        lines += ["", "| | PSNR (dB) | SSIM | LR-PSNR (dB) |", "|---|---|---|---|"]
        for k, m in info["metrics"].items():
            fmt = lambda v, d: v if isinstance(v, str) else f"{v:.{d}f}"  # noqa: E731
            lines.append(f"| {'SR' if k == 'sr' else k} | {fmt(m['psnr'], 2)} | {fmt(m['ssim'], 3)} | "
                         f"{fmt(m['lr_psnr'], 2)} |")
        lines += ["", f"*Protocol:* {info['protocol']}"]
    return "\n".join(lines)


@guarded
def api_upscale(image: str | bytes | None, model_name: str = AUTO, mode: str = "lr", degradation: str = "box",
                temperature: float = 0.5, samples: int = 1, seed: int = 0) -> tuple[str, dict[str, Any]]:
    """The HTTP API: an image file -> (path of the SR image as PNG, info: model, trained_on, auto, sizes,
    metrics, notes, server_s = seconds spent decoding, super-resolving and writing the PNG). ``model_name``
    ``auto`` (the default): a photo model for a photograph, the Fashion-MNIST resnet-sr for 28×28 grey."""
    t0 = time.perf_counter()
    chosen, r = _run(image, None, "upload", model_name, mode, degradation, temperature, samples, seed)
    png = _save_png(r.sr, chosen["model"])
    return png, {**_info(chosen, r), "server_s": round(time.perf_counter() - t0, 4)}


@guarded
def ui_upscale(image: Any, sketch: Any, source: str, model_name: str, mode: str, degradation: str,
               temperature: float, samples: int, seed: int) -> tuple[Any, ...]:
    """Everything the page shows for one request."""
    chosen, r = _run(image, sketch, source, model_name, mode, degradation, temperature, samples, seed)
    info = _info(chosen, r)
    gallery = [(to_uint8(display_zoom(s, 112)), f"sample {i} (seed {int(seed) + i})") for i, s in enumerate(r.samples)]
    if r.std is not None:
        vmax = max(float(r.std.max()), 1e-6)
        gallery.append((display_zoom(colorize(r.std, vmax), 112),
                        f"std: 0 … {vmax:.3f}"))  # one short line: a gallery caption is cut at its cell's width
    fig = radial_profile_figure(r.spectra, nyquist=r.nyquist, title="Radial power spectrum (luminance)", height=340)
    fig.update_yaxes(title_text="mean power |F|²/(H·W)²")
    slider = (to_uint8(display_zoom(r.bicubic)), to_uint8(display_zoom(r.sr)))
    return (slider, _summary(info), gr.Gallery(value=gallery, visible=len(r.samples) > 1), fig,
            _save_png(r.sr, chosen["model"]))


def model_dropdown_choices() -> list[tuple[str, str]]:
    """(shown text, value): ``auto`` first, then every usable checkpoint with the data it was trained on."""
    return [(AUTO_TEXT, AUTO), *labelled_choices()]


def refresh_models(current: str | None) -> Any:
    """The model list as of now (runs trained after the demo started appear; broken ones do not)."""
    choices = model_dropdown_choices()
    values = [v for _, v in choices]
    return gr.Dropdown(choices=choices, value=current if current in values else AUTO)


def on_model(model_name: str) -> tuple[Any, Any]:
    """Temperature and samples only for models that sample; the temperature starts at the model's default."""
    try:
        model = load_model(model_name) if isinstance(model_name, str) and not is_auto(model_name) else None
    except UserError:
        return gr.Slider(visible=False), gr.Slider(visible=False)
    if model is None or not model.takes_temperature:
        return gr.Slider(visible=False), gr.Slider(visible=False)
    lo, hi = model.temperature_range  # the model's own range and default (SRModel)
    return (gr.Slider(visible=True, value=model.default_temperature(), minimum=lo, maximum=hi),
            gr.Slider(visible=True))


def build_demo() -> gr.Blocks:
    """The Blocks app (not launched)."""
    choices = model_dropdown_choices()
    examples, examples_heading = demo_examples(OUT_DIR / "examples")
    with gr.Blocks(title="VAE SR — try it on your own image", delete_cache=GRADIO_CACHE) as demo:
        gr.Markdown("# Try it on your own image\nUpscale a photo or a drawing 2× with any shipped or trained "
                    f"model, beside bicubic. Limits: {LIMITS_TEXT}. {Y_NOTE}")
        source = gr.State("upload")
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Tabs():
                    with gr.Tab("Upload or paste", id="upload") as tab_up:
                        image = ImageFile(label="Your image", type="filepath", sources=["upload", "clipboard"],
                                          height=240,
                                          format="png", elem_id="input-image")
                        gr.Examples(examples, inputs=[image], label=examples_heading,
                                    examples_per_page=len(examples))  # one page: the photos are not hidden
                    with gr.Tab("Draw", id="draw") as tab_draw:
                        sketch = BoundedSketchpad(label="Draw (white on black, like the dataset)", type="numpy",
                                              image_mode="RGB", canvas_size=(280, 280), format="png",
                                              value={"background": np.zeros((280, 280, 3), np.uint8),
                                                     "layers": [], "composite": None},
                                              brush=gr.Brush(colors=["#FFFFFF"], color_mode="fixed",
                                                             default_size=18),
                                              elem_id="sketchpad")
                # Custom values reach load_model, which knows runs trained after start-up (and says which exist).
                model = gr.Dropdown(choices, value=AUTO, label="Model", allow_custom_value=True,
                                    info="auto: a photo model for photographs, the Fashion-MNIST resnet-sr for "
                                         "28×28 grey images; each model says what it was trained on")
                mode = gr.Radio(MODE_CHOICES, value="lr", label="Mode")
                degradation = gr.Dropdown(list(DEGRADATIONS), value="box", label="Degradation (truth mode)")
                temperature = RawSlider(0.0, 1.5, value=0.5, step=0.05, label="Temperature", visible=False,
                                        elem_id="temperature")
                samples = RawSlider(1, MAX_SAMPLES, value=4, step=1, label="Samples", visible=False)
                seed = RawNumber(0, precision=0, label="Seed")
                run = gr.Button("Upscale", variant="primary", elem_id="run")
            with gr.Column(scale=2):
                slider = gr.ImageSlider(label="bicubic ← | → SR", type="numpy", format="png", elem_id="result")
                summary = gr.Markdown(elem_id="summary")
                gallery = gr.Gallery(label="Samples and their per-pixel std (last: black 0 … bright max)",
                                     format="png", columns=5, visible=False)
                spectrum = gr.Plot(label="Radial power spectrum", elem_id="spectrum")
                download = gr.File(label="Download the SR image (PNG)")
        tab_up.select(lambda: "upload", outputs=source, api_visibility="private")
        tab_draw.select(lambda: "draw", outputs=source, api_visibility="private")
        model.change(on_model, inputs=model, outputs=[temperature, samples], api_visibility="private")
        demo.load(refresh_models, inputs=model, outputs=model, api_visibility="private").then(
            on_model, inputs=model, outputs=[temperature, samples], api_visibility="private")
        ui_inputs = [image, sketch, source, model, mode, degradation, temperature, samples, seed]
        # The page and the API share one queue slot ("sr"): at most CONCURRENCY super-resolutions at once.
        run.click(ui_upscale, inputs=ui_inputs, outputs=[slider, summary, gallery, spectrum, download],
                  api_visibility="private", concurrency_id="sr", concurrency_limit=CONCURRENCY)
        api_out = [gr.Image(visible=False, type="filepath", format="png"), gr.JSON(visible=False)]
        api_button = gr.Button(visible=False)
        api_button.click(api_upscale, inputs=[image, model, mode, degradation, temperature, samples, seed],
                         outputs=api_out, api_name="upscale", concurrency_id="sr",
                         concurrency_limit=CONCURRENCY)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=32)
    return demo


def launch(demo: gr.Blocks, host: str = HOST, port: int = PORT, *, block: bool = True) -> Any:
    """Start the server (local by default, no telemetry, errors shown as one line)."""
    # Default theme: its fonts are bundled (LocalFont), so the page requests nothing from the internet.
    return demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, show_error=True,
                       max_file_size=f"{MAX_FILE_BYTES // 2**20}mb", quiet=not block, allowed_paths=[str(OUT_DIR)],
                       footer_links=[], theme=gr.themes.Default(), css=PIXELATED_CSS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Gradio try-it demo and HTTP API (local by default).")
    parser.add_argument("--host", default=HOST, help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SR_DEMO_PORT", PORT)))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    launch(build_demo(), args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
