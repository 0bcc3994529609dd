"""The Latent page's compute and pictures: per-sample latent panels, interpolation, noise, the
set-level latent table (a task of the process-wide background worker) and the latent-vs-LR PSNR curve.

No Streamlit here: the page calls these and draws. Images are float numpy arrays in [0, 1];
PNGs come from :mod:`ui.images` (pixel-exact).
"""
from __future__ import annotations

from typing import Any, Hashable, Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import torch

from sr_core.data import Split
from sr_core.degrade import get_degradation
from sr_core.latent import LATENT_PROTOCOL, batch_metrics, latent_outputs, latent_per_image, summarize_latent
from sr_core.metrics import psnr
from sr_core.models import SRModel

from ui.background import Task
from ui.figures import alpha_marker_layout
from sr_core.imaging.io import png_from_uint8, zoom

from ui.images import colorize

#: Panel columns of a sample row: (key, title). ``sigma`` and ``err`` are heat maps.
PANELS = (("hr", "HR"), ("lr", "LR"), ("mu", "μ"), ("sigma", "σ"), ("z", "z sample"), ("err", "|z − LR|"),
          ("dec_mu", "decoder(μ)"), ("dec_lr", "decoder(LR) = SR"))
INTERP_STEPS = 8
NOISE_SCALES = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0)
#: Set-level table rows: (key, label, unit).
TABLE_ROWS = (("mu_lr_psnr", "PSNR(μ, LR): the encoder's mean latent vs the LR image", "dB"),
              ("z_lr_psnr", "PSNR(z, LR): a latent sample vs the LR image", "dB"),
              ("sigma_mean", "mean σ (posterior std)", ""), ("kl", "KL(q(z|HR) ‖ N(0,1)) per latent unit", "nats"),
              ("dec_mu_psnr", "PSNR of decoder(μ(HR)) vs HR (sees HR through the encoder)", "dB"),
              ("dec_lr_psnr", "PSNR of decoder(LR) = SR vs HR", "dB"),
              ("gap_psnr", "latent gap: decoder(μ) − decoder(LR)", "dB"),
              ("dec_mu_ssim", "SSIM of decoder(μ(HR))", ""), ("dec_lr_ssim", "SSIM of decoder(LR) = SR", ""),
              ("dec_mu_proj_psnr", "PSNR of decoder(μ) + projection", "dB"),
              ("dec_lr_proj_psnr", "PSNR of decoder(LR) + projection", "dB"),
              ("gap_proj_psnr", "latent gap after the LR-consistent projection", "dB"))


def _np(t: torch.Tensor) -> np.ndarray:
    return t.squeeze(1).float().cpu().numpy()  # (B, H, W)


@torch.no_grad()
def sample_panels(model: SRModel, split: Split, indices: Sequence[int], *, degradation: str = "box",
                  seed: int = 0) -> dict[str, Any]:
    """Images and numbers for the chosen test images.

    Returns {"images": {key: (N, H, W) float array}} for every key of :data:`PANELS` and
    {"metrics": {key: (N,) array}} of :func:`sr_core.latent.batch_metrics` (plus ``err_mean``).
    """
    dev = next(model.parameters()).device
    idx = list(indices)
    hr = split.hr(idx, dev)                 # (N, 1, 28, 28)
    lr = get_degradation(degradation)(hr)   # (N, 1, 14, 14)
    gen = torch.Generator(device=dev).manual_seed(seed)
    outs = latent_outputs(model, hr, lr, labels=split.labels[idx].to(dev), generator=gen,
                          projection=degradation == "box")
    metrics = {k: v.cpu().numpy() for k, v in batch_metrics(outs, hr, lr).items()}
    err = (outs["z"] - lr).abs()
    metrics["err_mean"] = err.flatten(1).mean(dim=1).double().cpu().numpy()
    images = {"hr": _np(hr), "lr": _np(lr), "mu": _np(outs["mu"]), "sigma": _np(outs["sigma"]),
              "z": _np(outs["z"]), "err": _np(err), "dec_mu": _np(outs["dec_mu"]), "dec_lr": _np(outs["dec_lr"])}
    return {"images": images, "metrics": metrics, "indices": idx}


def panel_caption(key: str, metrics: Mapping[str, np.ndarray], i: int) -> str:
    """The number shown under panel ``key`` of sample ``i``."""
    m = {k: float(v[i]) for k, v in metrics.items()}
    return {"hr": "target", "lr": "input 14×14", "mu": f"PSNR vs LR {m['mu_lr_psnr']:.2f} dB",
            "sigma": f"mean σ {m['sigma_mean']:.4f}", "z": f"PSNR vs LR {m['z_lr_psnr']:.2f} dB",
            "err": f"mean {m['err_mean']:.4f}", "dec_mu": f"{m['dec_mu_psnr']:.2f} dB / {m['dec_mu_ssim']:.3f}",
            "dec_lr": f"{m['dec_lr_psnr']:.2f} dB / {m['dec_lr_ssim']:.3f}"}[key]


def heat_scale_png(vmax: float, width: int = 112, height: int = 10) -> bytes:
    """A horizontal colour bar (0 at the left, ``vmax`` at the right) for the heat-map panels."""
    ramp = np.tile(np.linspace(0.0, vmax, width), (height, 1))
    return png_from_uint8(colorize(ramp, vmax))


def heat_pixels(values: np.ndarray, vmax: float, scale: int) -> bytes:
    """A non-negative (H, W) map as a colour PNG zoomed ``scale``x (pixel-exact)."""
    return png_from_uint8(zoom(colorize(values, vmax), scale))


@torch.no_grad()
def interpolation(model: SRModel, split: Split, a: int, b: int, *, degradation: str = "box",
                  steps: int = INTERP_STEPS) -> dict[str, np.ndarray]:
    """Decoder outputs of ``steps`` latents on the line from test image ``a`` to ``b``.

    ``lr``: decoder((1-t) LR_a + t LR_b); ``mu``: decoder((1-t) mu_a + t mu_b); t = 0..1 evenly.
    Each (steps, 28, 28) in [0, 1]; ``t`` (steps,). Class-conditioned decoders use the LR classifier.
    """
    model.eval()
    dev = next(model.parameters()).device
    hr = split.hr([a, b], dev)                # (2, 1, 28, 28)
    lr = get_degradation(degradation)(hr)     # (2, 1, 14, 14)
    mu = model.encode(hr).mu.clamp(0.0, 1.0)  # (2, 1, 14, 14)
    t = torch.linspace(0.0, 1.0, steps, device=dev).view(-1, 1, 1, 1)
    line = lambda x: (1.0 - t) * x[0:1] + t * x[1:2]  # noqa: E731  (steps, 1, 14, 14)
    gen = torch.Generator(device=dev).manual_seed(0)
    dec = lambda z: _np(model.super_resolve(z, generator=gen).clamp(0.0, 1.0))  # noqa: E731
    return {"lr": dec(line(lr)), "mu": dec(line(mu)), "t": t.flatten().cpu().numpy()}


@torch.no_grad()
def noisy_decode(model: SRModel, split: Split, indices: Sequence[int], scale: float, *,
                 degradation: str = "box", seed: int = 0) -> dict[str, np.ndarray]:
    """decoder(LR + scale * sigma * noise) per chosen image, noise added where training added it.

    sigma is the encoder's posterior std of the image; for models that squash the Gaussian (sigmoid,
    ``cnn-vae``) the noise goes in logit space, z = sigmoid(logit(LR) + scale * sigma * noise), as in
    training; otherwise z = LR + scale * sigma * noise. Returns ``sr`` (N, 28, 28), ``z`` (N, 14, 14)
    and ``psnr`` (N,) vs HR.
    """
    model.eval()
    dev = next(model.parameters()).device
    idx = list(indices)
    hr = split.hr(idx, dev)
    lr = get_degradation(degradation)(hr)
    post = model.encode(hr)
    noise = torch.randn(lr.shape, device=dev, generator=torch.Generator(device=dev).manual_seed(seed))
    if post.squash is None:
        z = lr + scale * post.sigma * noise
    else:
        z = post.squash(torch.logit(lr.clamp(1e-3, 1 - 1e-3)) + scale * post.sigma * noise)
    sr = model.super_resolve(z, labels=split.labels[idx].to(dev)).clamp(0.0, 1.0)
    return {"sr": _np(sr), "z": _np(z.clamp(0.0, 1.0)), "psnr": psnr(sr, hr).cpu().numpy()}


def latent_key(ckpt: Hashable, dataset: str, degradation: str, limit: int) -> Hashable:
    """Cache key of a set-level latent table in the process-wide worker (:mod:`ui.background`)."""
    return ("latent", ckpt, dataset, degradation, int(limit))


def latent_task(model: SRModel, split: Split, *, ckpt: Hashable, label: str, dataset: str, limit: int,
                degradation: str = "box") -> Task:
    """Background task of the set-level latent table: set means of :func:`latent_per_image` over the first
    ``limit`` test images (plus ``n_images``), run by the shared :class:`ui.background.BackgroundWorker`
    (cache per key, newest request wins, sr_core's ``progress``/``stop`` protocol)."""
    n = min(int(limit), len(split))

    def run(progress, stop):
        with torch.no_grad():
            per = latent_per_image(model, split, degradation=degradation, limit=n, batch_size=250,
                                   progress=progress, stop=stop)
        done = int(next(iter(per.values())).numel()) if per else 0
        return dict(summarize_latent(per), n_images=done) if done else None
    return Task(latent_key(ckpt, dataset, degradation, n), f"latent · {label}", n, run)


def latent_table(result: Mapping[str, float]) -> list[dict[str, str]]:
    """Rows (quantity, value) of the set-level latent table, for the keys present in ``result``."""
    rows = []
    for key, label, unit in TABLE_ROWS:
        if key in result:
            v = float(result[key])
            text = f"{v:.2f} dB" if unit == "dB" else f"{v:.4f} {unit}".strip()
            rows.append({"quantity": label, "value": text})
    return rows


def table_caption(n_images: int) -> str:
    return f"{n_images} test images. Protocol: {LATENT_PROTOCOL}"


def latent_psnr_figure(rows: Iterable[Mapping[str, Any]], *, alpha_changes: Iterable[Any] = (),
                       height: int = 300) -> go.Figure:
    """PSNR(μ, LR) at each test evaluation against the batch number, with the alpha markers."""
    pts = [(r["step"], r["latent_psnr"]) for r in rows if r.get("latent_psnr") is not None]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", name="latent_psnr",
                               hovertemplate="batch %{x}: PSNR(μ, LR) %{y:.2f} dB<extra></extra>"))
    fig.update_layout(title=dict(text="Latent vs LR: PSNR(μ, LR) per test evaluation"), height=height,
                      margin=dict(l=10, r=10, t=50, b=10), xaxis=dict(title=dict(text="batch")),
                      yaxis=dict(title=dict(text="PSNR(μ, LR) dB")), **alpha_marker_layout(alpha_changes))
    return fig
