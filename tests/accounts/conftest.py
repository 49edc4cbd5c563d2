"""The real SMTP server (aiosmtpd on 127.0.0.1) of tests/notifications, for account mail."""

from tests.notifications.test_smtp import smtp_server  # noqa: F401
