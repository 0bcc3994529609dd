"""Images in and out: PNG/photo I/O, tiled super-resolution of any size, batch upscaling, examples, and the
photo benchmark (Y-channel metrics as BasicSR computes them; whole held-out photos or any folder)."""
