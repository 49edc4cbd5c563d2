"""GET /auth/oidc/{provider}/start and /callback: federated login (OpenID Connect).

The start sends the browser to the municipality's identity provider; the callback checks what
comes back and sends the browser on to the app with a one-time login code, which the app
trades for a session with the `exchangeLoginCode` mutation. A session token never travels in
a URL."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from litestar import Request, Response, get
from litestar.datastructures import Cookie, ResponseHeader
from litestar.exceptions import HTTPException
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect

from app.accounts.federation import service as federation
from app.accounts.federation.service.metadata import ProviderUnavailable
from app.core.errors import Conflict, DomainError, TooManyAttempts
from app.core.runtime import Runtime
from app.rest.auth import DomainHTTPError, as_http, error_responses, json_error, language_of

# The browser that started a flow carries this cookie to the callback: a state that comes back
# in another browser (a login-CSRF attempt) is refused.
FLOW_COOKIE = "seddel_oidc_flow"
FLOW_COOKIE_PATH = "/auth/oidc"


def _error(error: DomainError, language: str) -> HTTPException:
    if isinstance(error, TooManyAttempts):
        refused = DomainHTTPError(error, language, 429)
        refused.headers = {"Retry-After": str(error.retry_after_seconds)}
        return refused
    if isinstance(error, ProviderUnavailable):
        return DomainHTTPError(error, language, 502)
    if error.message_key == "oidc_state_invalid":
        return DomainHTTPError(error, language, 403)
    if isinstance(error, Conflict):
        return DomainHTTPError(error, language, 409)
    return as_http(error, language)


def _json_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """The REST routes' error body, keeping the exception's headers (Retry-After)."""
    response = json_error(request, exc)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _http(runtime: Runtime) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=runtime.settings.oidc_http_timeout_seconds)


@get(
    "/auth/oidc/{provider:str}/start",
    operation_id="startFederatedLogin",
    tags=["auth"],
    summary="Sign in with the municipality's identity provider",
    description=(
        "Starts an OpenID Connect authorization code flow (PKCE, state and nonce) at the "
        "provider and redirects the browser there. Open it in the system browser (the app's "
        "authentication session). `return_to` must be one of the server's configured return "
        "addresses (SEDDEL_OIDC_RETURN_URIS; the first when omitted): the callback sends the "
        "browser there with `?code=<one-time login code>`. Sets an HttpOnly cookie that binds "
        "the flow to this browser. With `flow` (the `startUrl` of the `startInvitationLogin` "
        "mutation) it continues the login prepared to accept an invitation; its return address "
        "was chosen then. Errors: 403 for an unknown, used or expired `flow`, 404 for an "
        "unknown provider, 422 for a return address that is not allowed, 502 when the "
        "provider cannot be reached."
    ),
    status_code=302,
    response_description="A redirect to the identity provider's authorization endpoint.",
    response_headers=[
        ResponseHeader(
            name="Location", documentation_only=True, description="The provider's login page."
        )
    ],
    responses=error_responses(400, 403, 404, 422, 502),
    exception_handlers={HTTPException: _json_error},
)
async def start_federated_login(
    request: Request[Any, Any, Any],
    provider: Annotated[str, Parameter(description="The provider's name, e.g. `mitid-aarhus`.")],
    return_to: Annotated[
        str | None,
        QueryParameter(description="Where to send the browser afterwards.", max_length=500),
    ] = None,
    flow: Annotated[
        str | None,
        QueryParameter(
            description="The single-use hand-off of a login prepared by `startInvitationLogin`.",
            max_length=200,
        ),
    ] = None,
) -> Redirect:
    runtime: Runtime = request.app.state.runtime
    try:
        async with runtime.sessions() as db, _http(runtime) as http:
            started = await federation.start_login(
                db=db,
                settings=runtime.settings,
                slug=provider,
                return_to=return_to,
                http=http,
                handoff=flow,
            )
    except DomainError as error:
        raise _error(error, language_of(request)) from None
    cookie = Cookie(
        key=FLOW_COOKIE,
        value=started.browser_secret,
        path=FLOW_COOKIE_PATH,
        max_age=runtime.settings.oidc_flow_lifetime_seconds,
        httponly=True,
        secure=runtime.settings.public_url.startswith("https://"),
        samesite="lax",  # the provider's redirect back is a top-level GET: lax sends it
    )
    return Redirect(
        started.authorization_url,
        status_code=302,
        cookies=[cookie],
        # The start address may carry a hand-off: it is spent, but tell no one all the same.
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@get(
    "/auth/oidc/{provider:str}/callback",
    operation_id="finishFederatedLogin",
    tags=["auth"],
    summary="Where the identity provider sends the browser back",
    description=(
        "Checks the state (single-use, bound to the browser that started), exchanges the "
        "authorization code with the PKCE verifier, verifies the ID token (signature against "
        "the provider's keys, `iss`, `aud`, `exp`, `nonce`) and finds the Seddel user linked "
        "to the identity (by an accepted invitation, or by a verified e-mail when the provider "
        "is trusted for it; never by name, and no account is created); a flow started for an "
        "invitation spends it and links the identity to the invited person instead (409 "
        "IDENTITY_ALREADY_LINKED when that person has another login at this provider or this "
        "login is someone else's; 422 INVITATION_INVALID when it was used, withdrawn or "
        "expired meanwhile). Then redirects to the "
        "flow's return address with `?code=<one-time login code>`, for `exchangeLoginCode`. "
        "Errors: 403 for an unknown, used, expired or foreign state; 422 for a refused login "
        "(`code` says why: OIDC_ACCOUNT_UNKNOWN, OIDC_TOKEN_INVALID, ...); 429 when this "
        "address failed too often; 502 when the provider cannot be reached."
    ),
    status_code=303,
    response_description="A redirect to the app with the one-time login code.",
    response_headers=[
        ResponseHeader(
            name="Location",
            documentation_only=True,
            description="The return address with `?code=<one-time login code>`.",
        )
    ],
    responses=error_responses(400, 403, 404, 409, 422, 429, 502),
    exception_handlers={HTTPException: _json_error},
)
async def finish_federated_login(
    request: Request[Any, Any, Any],
    provider: Annotated[str, Parameter(description="The provider's name.")],
    # `state` is a name Litestar reserves for the application's state: read it as a query key.
    flow_state: Annotated[
        str | None, QueryParameter(name="state", max_length=200, description="The flow's state.")
    ] = None,
    code: Annotated[
        str | None,
        QueryParameter(max_length=2000, description="The provider's authorization code."),
    ] = None,
    error: Annotated[
        str | None,
        QueryParameter(max_length=200, description="The provider's error, if it refused."),
    ] = None,
) -> Redirect:
    runtime: Runtime = request.app.state.runtime
    try:
        async with runtime.sessions() as db, _http(runtime) as http:
            finished = await federation.finish_login(
                db=db,
                settings=runtime.settings,
                slug=provider,
                state=flow_state,
                code=code,
                error=error,
                browser_secret=request.cookies.get(FLOW_COOKIE),
                client_address=request.client.host if request.client else None,
                http=http,
            )
    except DomainError as refused:
        raise _error(refused, language_of(request)) from None
    separator = "&" if "?" in finished.return_to else "?"
    target = f"{finished.return_to}{separator}{urlencode({'code': finished.login_code})}"
    spent = Cookie(key=FLOW_COOKIE, value="", path=FLOW_COOKIE_PATH, max_age=0, httponly=True)
    return Redirect(target, status_code=303, cookies=[spent], headers={"Cache-Control": "no-store"})


OIDC_ROUTES = [start_federated_login, finish_federated_login]
