"""GraphQL of federated login: the app trades the callback's one-time code for a session, and
starts a login that accepts an invitation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts.api.sessions import (
    LoginSuccess,
    SecondFactorEnrolmentRequired,
    SecondFactorRequired,
    session_started,
)
from app.accounts.federation import service as federation
from app.api.errors import (
    InvalidCredentialsError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
    errors_as_data,
)

ExchangeLoginCodeResult = Annotated[
    Union[
        LoginSuccess,
        SecondFactorRequired,
        SecondFactorEnrolmentRequired,
        InvalidCredentialsError,
        TooManyAttemptsError,
    ],
    strawberry.union("ExchangeLoginCodeResult"),
]


@strawberry.type(
    description="A login at the identity provider prepared to accept an invitation: open "
    "`startUrl` in the system browser before `expiresAt`."
)
class InvitationLoginStarted:
    start_url: str = strawberry.field(
        description="`/auth/oidc/{provider}/start?flow=…`: single-use, short-lived, no bearer "
        "credential beyond this one login. It ends, as every federated login does, at the "
        "return address with `?code=` for `exchangeLoginCode`."
    )
    expires_at: datetime


@strawberry.type(description="An identity provider a person may sign in with.")
class IdentityProvider:
    slug: str = strawberry.field(description="The `provider` of `startInvitationLogin`.")
    display_name: str


@strawberry.type(
    description="How an invitation may be accepted besides with a password: the identity "
    "providers of the institution's municipality (none: a password only)."
)
class InvitationSignInOptions:
    providers: list[IdentityProvider]


InvitationSignInOptionsResult = Annotated[
    Union[InvitationSignInOptions, InvalidCredentialsError, TooManyAttemptsError],
    strawberry.union("InvitationSignInOptionsResult"),
]

StartInvitationLoginResult = Annotated[
    Union[
        InvitationLoginStarted,
        InvalidCredentialsError,
        TooManyAttemptsError,
        NotFoundError,
        ValidationError,
    ],
    strawberry.union("StartInvitationLoginResult"),
]


@strawberry.type
class FederatedLoginMutations:
    @strawberry.mutation(
        description=(
            "What the invitation's page offers besides a password: the identity providers of "
            "the institution's municipality, for `startInvitationLogin`. Checks the token "
            "without spending it (INVITATION_INVALID for an expired, used or withdrawn one, "
            "counted as at `acceptInvitation`). A mutation because a refusal is counted."
        )
    )
    @errors_as_data
    async def invitation_sign_in_options(
        self, info: Info, token: str
    ) -> InvitationSignInOptionsResult:
        offered = await federation.sign_in_options(
            db=info.context.db,
            settings=info.context.settings,
            token=token,
            client_address=info.context.client_address,
        )
        return InvitationSignInOptions(
            providers=[IdentityProvider(slug=p.slug, display_name=p.display_name) for p in offered]
        )

    @strawberry.mutation(
        description=(
            "Accept an invitation by signing in with the identity provider of the institution's "
            "municipality instead of choosing a password. The token goes here, in the body, "
            "once; the answer's `startUrl` carries a different, single-use secret. Checks the "
            "token without spending it (INVITATION_INVALID for an expired, used or withdrawn "
            "one, counted as at `acceptInvitation`); the callback spends it, links the login "
            "to the invited person and hands the app a login code. OIDC_PROVIDER_NOT_FOR_"
            "INVITATION when the provider is not the institution's municipality's; at the "
            "callback IDENTITY_ALREADY_LINKED (409) when the person has another login there."
        )
    )
    @errors_as_data
    async def start_invitation_login(
        self, info: Info, token: str, provider: str, return_to: str | None = None
    ) -> StartInvitationLoginResult:
        started = await federation.start_invitation_login(
            db=info.context.db,
            settings=info.context.settings,
            slug=provider,
            token=token,
            return_to=return_to,
            client_address=info.context.client_address,
        )
        return InvitationLoginStarted(start_url=started.start_url, expires_at=started.expires_at)

    @strawberry.mutation(
        description=(
            "Trade the one-time `code` that `/auth/oidc/{provider}/callback` sent the app back "
            "with for a session. Single-use and short-lived (a minute by default); an unknown, "
            "used or expired code gets one answer, `LOGIN_CODE_INVALID`. The second factor is "
            "asked for as at `login` (`SecondFactorRequired`, `SecondFactorEnrolmentRequired`) "
            "unless the provider's own login is multi-factor and configured to count as it."
        )
    )
    @errors_as_data
    async def exchange_login_code(
        self, info: Info, code: str, device_label: str | None = None
    ) -> ExchangeLoginCodeResult:
        result = await federation.exchange_login_code(
            db=info.context.db,
            settings=info.context.settings,
            code=code,
            client_address=info.context.client_address,
            device_label=device_label,
            user_agent=info.context.user_agent,
        )
        return session_started(result)
