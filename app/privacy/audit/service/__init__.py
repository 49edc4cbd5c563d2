"""The audit trail's use cases: recording writes (recording.py), reading the trail
(reading.py) and keeping it no longer than the institution says (retention.py)."""
