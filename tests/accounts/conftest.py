"""Fixtures of the accounts tests: real SMTP servers (aiosmtpd on 127.0.0.1) for account mail."""

from tests.mail import mail  # noqa: F401
from tests.notifications.test_smtp import smtp_server  # noqa: F401
