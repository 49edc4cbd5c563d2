"""GraphQL of federated login: the app trades the callback's one-time code for a session."""

from __future__ import annotations

from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts.api.sessions import LoginSuccess, SessionType
from app.accounts.federation import service as federation
from app.api.errors import InvalidCredentialsError, TooManyAttemptsError, errors_as_data

ExchangeLoginCodeResult = Annotated[
    Union[LoginSuccess, InvalidCredentialsError, TooManyAttemptsError],
    strawberry.union("ExchangeLoginCodeResult"),
]


@strawberry.type
class FederatedLoginMutations:
    @strawberry.mutation(
        description=(
            "Trade the one-time `code` that `/auth/oidc/{provider}/callback` sent the app back "
            "with for a session. Single-use and short-lived (a minute by default); an unknown, "
            "used or expired code gets one answer, `LOGIN_CODE_INVALID`."
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
        return LoginSuccess(
            token=result.token, session=SessionType.of(result.session, result.session.id)
        )
