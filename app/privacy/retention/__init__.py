"""Retention of every kind of a child's data, and legal holds: per institution, how many months
each kind is kept after a child has left; the slices contribute their rules (what goes, what
is anonymised) to one run (service/run.py); a legal hold on a child or a thread keeps
everything under it, and the run reports what it kept and why."""
