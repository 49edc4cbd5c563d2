"""GraphQL of who asks: `me`, with the institutions, children and groups one belongs to."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.permissions import IsAuthenticated
from app.institutions import loaders as institution_loaders
from app.institutions.api.types import ChildNode, GroupNode, InstitutionNode, Role


@strawberry.type
class InstitutionMembership:
    institution: InstitutionNode
    roles: list[Role]


@strawberry.type(name="Me")
class MeType:
    id: strawberry.ID
    name: str
    email: str
    phone: str | None
    preferred_language: str

    @strawberry.field(description="Every institution you belong to, with your roles there.")
    async def institutions(self, info: Info) -> list[InstitutionMembership]:
        actor = await info.context.require_actor()
        ids = sorted(actor.institution_ids)
        rows = await info.context.loaders.get(institution_loaders.institution_by_id).load_many(ids)
        return [
            InstitutionMembership(
                institution=InstitutionNode.of(row),
                roles=[Role(r) for r in actor.roles_in(row.id)],
            )
            for row in sorted((r for r in rows if r is not None), key=lambda r: r.name)
        ]

    @strawberry.field(description="The children you are guardian of, across institutions.")
    async def children(self, info: Info) -> list[ChildNode]:
        actor = await info.context.require_actor()
        rows = await info.context.loaders.get(institution_loaders.child_by_id).load_many(
            sorted(actor.guardian_of)
        )
        visible = [r for r in rows if r is not None]
        return [ChildNode.of(r) for r in sorted(visible, key=lambda c: (c.first_name, c.id))]

    @strawberry.field(description="The groups you work in.")
    async def staffed_groups(self, info: Info) -> list[GroupNode]:
        actor = await info.context.require_actor()
        rows = await info.context.loaders.get(institution_loaders.group_by_id).load_many(
            sorted(actor.groups_staffed)
        )
        return [GroupNode.of(r) for r in sorted((r for r in rows if r), key=lambda g: g.name)]


@strawberry.type
class MeQueries:
    @strawberry.field(permission_classes=[IsAuthenticated])
    async def me(self, info: Info) -> MeType:
        actor = await info.context.require_actor()
        user = await info.context.loaders.get(institution_loaders.user_by_id).load(actor.user_id)
        return MeType(
            id=strawberry.ID(str(actor.user_id)),
            name=actor.name,
            email=actor.email,
            phone=user.phone if user else None,
            preferred_language=actor.language,
        )
