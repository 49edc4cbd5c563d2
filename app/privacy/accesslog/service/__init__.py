"""The access log's use cases: recording reads (recording.py), reading the log (reading.py)
and keeping it no longer than allowed (retention.py)."""
