"""Use cases of announcements (opslag): posting, receipts and confirmations, retention."""
