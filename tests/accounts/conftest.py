"""Fixtures of the accounts tests: a real SMTP server (tests/mail.py)."""

from tests.mail import mail  # noqa: F401
