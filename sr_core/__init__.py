"""sr_core: the headless core of the VAE super-resolution studio (no UI imports here)."""
__version__ = "0.1.0"
