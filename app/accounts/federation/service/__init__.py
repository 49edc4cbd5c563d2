"""Use cases of federated login: start a flow, finish it at the callback, hand the app a
one-time login code, exchange it for a session, and link identities to users.

A federated identity (provider, subject) reaches a Seddel user only through a link made by
an invitation accepted while signed in with that provider, or through a verified e-mail
claim of a provider trusted for e-mail; never by name. Nobody is created here."""

from app.accounts.federation.service.codes import exchange_login_code
from app.accounts.federation.service.flow import (
    FinishedLogin,
    LoginRefused,
    StartedLogin,
    finish_login,
    start_login,
)
from app.accounts.federation.service.identities import (
    link_identity,
    link_identity_by_invitation,
    without_cpr,
)
from app.accounts.federation.service.invited import (
    StartedInvitationLogin,
    municipality_of_institution,
    sign_in_options,
    start_invitation_login,
)
from app.accounts.federation.service.providers import callback_url, register_provider

__all__ = [
    "FinishedLogin",
    "LoginRefused",
    "StartedInvitationLogin",
    "StartedLogin",
    "callback_url",
    "exchange_login_code",
    "finish_login",
    "link_identity",
    "link_identity_by_invitation",
    "municipality_of_institution",
    "register_provider",
    "sign_in_options",
    "start_invitation_login",
    "start_login",
    "without_cpr",
]
