"""Runs on disk: the store, listing and table rows, status enums, the one-writer lock, the metrics
log, a checkpoint's health read without torch (``ckpt_scan``), the checkpoint catalog (runs + shipped)
and training jobs."""
