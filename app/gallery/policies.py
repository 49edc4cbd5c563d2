"""Who sees which photo, and each child's effective photo consent, as SQL computed at read
time from the current consent rows and settings: a withdrawal or a changed setting applies to
every list, node(), download link and export at once.

Ranks: 0 none < 1 own guardians < 2 group. A child's effective consent is the lowest answer
of its custody guardians (a guardian who has not answered counts as the institution's
`photo_consent_default`). When the institution's `group_sharing_requires_consent` is off,
any answer other than "none" counts as group (sharing inside the platform is then part of
the institution's task; "no photos" is still respected).

A photo is seen by
- admins of its institution and staff of its group: always;
- a guardian (with access, i.e. full or information only) who either guards a child tagged on
  it or guards a child of its group, when every tagged child is either one of theirs with a
  consent of at least "own guardians", or has consent "group" and is not protected
  (navne- og adressebeskyttelse). So a photo reaches the whole group only when every tagged
  child's consent is "group"; a child whose consent is "own guardians" is never shown to
  another family, not even beside their own child.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.actor import Actor
from app.gallery.models import CONSENT_LEVELS, Photo, PhotoChild, PhotoConsent
from app.institutions.models import Child, GuardianLink, Institution
from app.institutions.policies import visible_children
from app.institutions.service.settings import InstitutionSettings

NONE, OWN_GUARDIANS, GROUP = 0, 1, 2
RANKS = {level: rank for rank, level in enumerate(CONSENT_LEVELS)}
# The settings' own defaults, for institutions that never changed them.
DEFAULT_LEVEL = InstitutionSettings.photo_consent_default
DEFAULT_REQUIRES_CONSENT = InstitutionSettings.group_sharing_requires_consent


def rank_of(level: Any) -> ColumnElement[int]:
    return case(RANKS, value=level, else_=None)


# The aliases of the rules below, made once: an alias made per call adapts every column it is
# asked for again (SQLAlchemy memoizes that per alias object), ~20 ms of CPU per statement.
# Each stands in one subquery of its own, so no statement holds one twice in the same scope.
_RANK_CHILD = aliased(Child, name="rank_child")
_RANK_INSTITUTION = aliased(Institution, name="rank_institution")
_RANK_LINK = aliased(GuardianLink, name="rank_link")
_RANK_ANSWER = aliased(PhotoConsent, name="rank_answer")
_TAG = aliased(PhotoChild, name="tag")
_TAGGED_CHILD = aliased(Child, name="tagged_child")
_ANCHORED = aliased(Photo, name="anchored_photo")
_OWN_TAG = aliased(PhotoChild, name="own_tag")


def effective_rank(child_id: Any) -> ColumnElement[int]:
    """The child's effective consent rank (0, 1, 2): one correlated scalar subquery that reads
    the child's custody links, their answers and the institution's two settings at once."""
    child, institution = _RANK_CHILD, _RANK_INSTITUTION
    link, answer = _RANK_LINK, _RANK_ANSWER
    settings = institution.settings
    default = func.coalesce(
        rank_of(settings["photo_consent_default"].as_string()), RANKS[DEFAULT_LEVEL]
    )
    requires = case(
        (
            func.coalesce(
                settings["group_sharing_requires_consent"].as_boolean(),
                literal(DEFAULT_REQUIRES_CONSENT),
            ),
            1,
        ),
        else_=0,
    )
    # A custody guardian without an answer, or a child without custody links: the default.
    lowest = func.min(func.coalesce(rank_of(answer.level), default))
    return (
        select(case((lowest == NONE, NONE), (func.max(requires) == 1, lowest), else_=GROUP))
        .select_from(child)
        .join(institution, institution.id == child.institution_id)
        .outerjoin(link, and_(link.child_id == child.id, link.has_custody.is_(True)))
        .outerjoin(answer, and_(answer.child_id == link.child_id, answer.user_id == link.user_id))
        .where(child.id == child_id)
        .correlate_except(child, institution, link, answer)
        .scalar_subquery()
    )


def visible_photos(
    actor: Actor, *, within: tuple[uuid.UUID | ColumnElement[uuid.UUID], date, date] | None = None
) -> ColumnElement[bool]:
    """The one visibility rule of photos (lists, node(), download URLs, export).

    `within` (institution, first day, last day): the caller's query already holds the photos
    to these; the checks of each photo's tags are narrowed to them as well, so that the
    database never weighs the tags of other days, however it plans the checks (a hashed
    subplan reads every row its subquery allows)."""
    staff = or_(
        Photo.institution_id.in_(actor.admin_of) if actor.admin_of else false(),
        Photo.group_id.in_(actor.groups_staffed) if actor.groups_staffed else false(),
    )
    if not actor.guardian_of:  # the actor's children (a compiled document's shape knows it)
        return staff
    mine = actor.guardian_of
    tag, child, anchored = _TAG, _TAGGED_CHILD, _ANCHORED
    anchor: list[ColumnElement[bool]] = []
    if within is not None:
        institution_id, first, last = within
        anchor = [
            anchored.institution_id == institution_id,
            anchored.taken_on >= first,
            anchored.taken_on <= last,
        ]
    # One's own child needs "own guardians"; another family's child "group"; a protected
    # child of another family can never be shown (no rank reaches 3).
    needed = case(
        (tag.child_id.in_(mine), OWN_GUARDIANS), (child.is_protected.is_(True), 3), else_=GROUP
    )
    allowed = effective_rank(tag.child_id) >= needed
    forbidden = (
        select(literal(1))
        .select_from(tag)
        .join(child, child.id == tag.child_id)
        .where(tag.photo_id == Photo.id, ~allowed)
    )
    own = _OWN_TAG
    mine_shown = (
        select(literal(1)).select_from(own).where(own.photo_id == Photo.id, own.child_id.in_(mine))
    )
    if anchor:
        # OFFSET 0 keeps PostgreSQL from turning the check into one hashed subplan over every
        # tag its subquery allows (simplify_EXISTS_query): each photo of the days asked for is
        # checked on its own tags.
        forbidden = forbidden.join(anchored, anchored.id == tag.photo_id).where(*anchor).offset(0)
        mine_shown = mine_shown.join(anchored, anchored.id == own.photo_id).where(*anchor).offset(0)
    forbidden_tag = exists(forbidden)
    shows_mine = exists(mine_shown)
    groups = actor.guarded_groups
    reaches = or_(Photo.group_id.in_(groups), shows_mine) if groups else shows_mine
    guardian = and_(Photo.institution_id.in_(actor.guardian_institutions), reaches, ~forbidden_tag)
    return or_(staff, guardian)


def can_manage_photos(actor: Actor, institution_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    """Staff of the group and the institution's admins take, tag and delete its photos."""
    return actor.is_admin(institution_id) or (
        actor.works_in(institution_id) and group_id in actor.groups_staffed
    )


def can_answer_consent(actor: Actor, child_id: uuid.UUID) -> bool:
    """Only a guardian with custody (and access to the child in Seddel) answers."""
    access = actor.children.get(child_id)
    return access is not None and access.has_custody


def can_see_consent(actor: Actor, child: Child) -> bool:
    """The institution's staff and the child's own guardians see the effective consent."""
    return actor.works_in(child.institution_id) or child.id in actor.children


def can_see_consent_details(actor: Actor, institution_id: uuid.UUID) -> bool:
    """Each guardian's answer and the history: for the institution's staff and admins."""
    return actor.works_in(institution_id)


def level_of(rank: int) -> str:
    return CONSENT_LEVELS[rank]


async def effective_consents(
    db: AsyncSession, actor: Actor, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Effective consent of each child the actor may see, in one statement."""
    if not child_ids:
        return {}
    rows = await db.execute(
        select(Child.id, effective_rank(Child.id)).where(
            Child.id.in_(child_ids), visible_children(actor)
        )
    )
    return {child_id: level_of(int(rank)) for child_id, rank in rows.all()}
