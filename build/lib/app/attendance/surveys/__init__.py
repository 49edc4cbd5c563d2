"""Vacation surveys: admins open one, guardians answer per child and day, staff count."""
