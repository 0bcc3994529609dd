"""Images in and out: PNG/photo I/O, tiled super-resolution of any size, batch upscaling, examples."""
