"""GraphQL surface of messaging: threads and messages, the inbox, and their live events."""

from app.messaging.api.compiled import CompiledInbox, CompiledThreadMessagesPage
from app.messaging.api.operations import MessagingMutations, MessagingQueries
from app.messaging.api.subscriptions import MessagingSubscriptions

__all__ = [
    "CompiledInbox",
    "CompiledThreadMessagesPage",
    "MessagingMutations",
    "MessagingQueries",
    "MessagingSubscriptions",
]
