"""Pickup and attendance: who may pick a child up, plans, absences, check-in and check-out."""
