"""The training monitor: what a run records beside its losses and how it is read back.

``quality`` (decoder-only SR PSNR/SSIM at each test evaluation), ``early_stop`` (a validation split held
out from the training images, early stopping, ``best.pt``), ``history`` (the preview strips of every
evaluation), ``series`` (metrics.csv read incrementally, downsampled keeping the extremes), ``alerts``
(NaN, a rising test loss, SR below bicubic) and ``attach`` (wires them to a trainer and its run folder).
This file imports nothing, so the light CLI commands can read ``alerts`` without torch.
"""
