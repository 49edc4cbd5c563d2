"""Accounts' use cases: logins, sessions and passwords (auth), devices and PINs."""
