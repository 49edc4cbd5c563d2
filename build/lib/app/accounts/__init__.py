"""Accounts: users, passwords, sessions, login throttling, paired devices and personal PINs."""
