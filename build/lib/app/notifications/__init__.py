"""Notifications: the outbox of push and e-mail digests, its worker and senders, users' settings."""
