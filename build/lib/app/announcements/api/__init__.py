"""GraphQL surface of announcements (opslag): the Announcement node, its queries and mutations."""

from app.announcements.api.operations import AnnouncementMutations, AnnouncementQueries

__all__ = ["AnnouncementMutations", "AnnouncementQueries"]
