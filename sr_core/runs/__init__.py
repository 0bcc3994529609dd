"""Runs on disk: the store, listing and table rows, status enums, the one-writer lock, the metrics
log, the checkpoint catalog (runs + shipped) and training jobs."""
