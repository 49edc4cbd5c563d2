"""Use cases of retention: legal holds (holds.py), the rules the slices contribute
(rules.py) and the run that applies them (run.py)."""
