"""Use cases of notifications: the outbox (enqueue, settings), its worker, senders, retention."""
