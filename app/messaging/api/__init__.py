"""GraphQL surface of messaging: threads and messages, the inbox, and their live events."""

from app.messaging.api.compiled import CompiledInbox
from app.messaging.api.operations import MessagingMutations, MessagingQueries
from app.messaging.api.subscriptions import MessagingSubscriptions

__all__ = ["CompiledInbox", "MessagingMutations", "MessagingQueries", "MessagingSubscriptions"]
