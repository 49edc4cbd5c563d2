"""Messaging: threads among staff and guardians, messages, shared inboxes, receipts of reading."""
