"""GraphQL surface of notifications: a user's own notification settings."""

from app.notifications.api.operations import NotificationMutations, NotificationQueries

__all__ = ["NotificationMutations", "NotificationQueries"]
