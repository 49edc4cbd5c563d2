"""Every slice's event handlers, imported so that what one slice records (app.core.events)
reaches the slices that react. app.server and app.cli import this before any use case runs."""

from __future__ import annotations

import app.announcements.service.live  # AnnouncementPosted -> recipients' inbox channels
import app.attendance.plans.service.entries  # PickupPersonWithdrawn -> the plans naming them go
import app.attendance.presence.service.live  # DayChanged -> tablets' and guardians' channels
import app.daybook.service.live  # day entries, shared photos -> child-day channel
import app.files.service.uploads  # StoredObjectsReleased -> the objects deleted after commit
import app.institutions.service.federation  # an invitation's municipality (federated login)
import app.institutions.service.second_factor  # who must have a second factor (step_up)
import app.messaging.service.badge  # the unread count -> the push badge
import app.messaging.service.live  # ThreadActivity -> inbox and thread channels
import app.messaging.service.membership  # GuardianReachChanged -> threads' participation
import app.messaging.service.retention  # legal holds on threads; messages' retention rule
import app.notifications.service.account_mail
import app.notifications.service.exports  # DataExportReady -> the person's push and e-mail
import app.notifications.service.personal  # noqa: F401  invitations, "you were added" -> outbox
