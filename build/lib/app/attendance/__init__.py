"""Attendance: pickup, absences, the pickup plan, vacation surveys, presence: a sub-slice each."""
