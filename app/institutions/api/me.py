"""GraphQL of who asks: `me`, with the institutions, children and groups one belongs to."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from app.api.permissions import IsAuthenticated
from app.institutions import loaders as institution_loaders
from app.institutions import reads
from app.institutions.api.types import ChildNode, GroupNode, InstitutionNode, Role
from app.institutions.reads import MyPlaces


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
    _places: strawberry.Private[asyncio.Task[MyPlaces] | None] = None

    async def places(self, info: Info) -> MyPlaces:
        """Institutions, children and groups in one statement, read once for whichever of
        the three fields asks first; the loaders are primed with them, so the nested
        institution and group fields read nothing more."""
        if self._places is None:
            self._places = asyncio.ensure_future(self._read_places(info))
        return await asyncio.shield(self._places)

    @staticmethod
    async def _read_places(info: Info) -> MyPlaces:
        actor = await info.context.require_actor()
        places = await reads.my_places(info.context.db, actor)
        loaders = info.context.loaders
        _prime(loaders.get(institution_loaders.institution_by_id), places.institutions)
        _prime(loaders.get(institution_loaders.child_by_id), places.children)
        _prime(loaders.get(institution_loaders.group_by_id), places.groups)
        return places

    @strawberry.field(description="Every institution you belong to, with your roles there.")
    async def institutions(self, info: Info) -> list[InstitutionMembership]:
        actor = await info.context.require_actor()
        rows = (await self.places(info)).institutions
        return [
            InstitutionMembership(
                institution=InstitutionNode.of(row),
                roles=[Role(r) for r in actor.roles_in(row.id)],
            )
            for row in sorted(rows, key=lambda r: (r.name, r.id))
        ]

    @strawberry.field(description="The children you are guardian of, across institutions.")
    async def children(self, info: Info) -> list[ChildNode]:
        rows = (await self.places(info)).children
        return [ChildNode.of(r) for r in sorted(rows, key=lambda c: (c.first_name, c.id))]

    @strawberry.field(description="The groups you work in.")
    async def staffed_groups(self, info: Info) -> list[GroupNode]:
        actor = await info.context.require_actor()
        rows = [g for g in (await self.places(info)).groups if g.id in actor.groups_staffed]
        return [GroupNode.of(r) for r in sorted(rows, key=lambda g: (g.name, g.id))]


def _prime(loader: DataLoader[uuid.UUID, Any], rows: list[Any]) -> None:
    for row in rows:
        loader.prime(row.id, row)


@strawberry.type
class MeQueries:
    @strawberry.field(permission_classes=[IsAuthenticated])
    async def me(self, info: Info) -> MeType:
        actor = await info.context.require_actor()
        return MeType(
            id=strawberry.ID(str(actor.user_id)),
            name=actor.name,
            email=actor.email,
            phone=actor.phone,
            preferred_language=actor.language,
        )
