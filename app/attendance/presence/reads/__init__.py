"""Read models of presence: the day of a group on the tablet and a guardian's today
(days.py), and the plans in the words those views show (plans.py)."""
