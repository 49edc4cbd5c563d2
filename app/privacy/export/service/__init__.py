"""The export's use cases: asking and listing (requests.py), building in the worker
(build.py), and expiry (expiry.py)."""
