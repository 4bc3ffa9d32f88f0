"""The OpenID Connect provider people may sign in with, through Authlib's Flask client.

One provider per site, from the settings OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
and OIDC_NAME; without them there is no button and the routes answer 404. The flow is
the authorization code flow with PKCE (S256); Authlib keeps the state and the nonce in
the session, checks both on the way back, and verifies the ID token (signature from the
provider's JWKS, issuer, audience, expiry, nonce). Nothing here reads a JWT by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from forum.errors import DomainError, Invalid, NotFound

log = logging.getLogger(__name__)

EXTENSION = "cocreate.oidc"
CALLBACK_PATH = "/signin/oidc/callback"


class ProviderUnavailable(DomainError):
    """The provider did not answer, or answered with nonsense: try again later."""

    status = 502


@dataclass(frozen=True)
class Claims:
    """Who the provider says signed in: its verified ID token, with userinfo's email."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    preferred_username: str


def configure_oidc(app: Flask) -> None:
    """Register the provider's client when the site names one (no network here: Authlib
    reads the provider's discovery document at the first sign-in)."""
    config = app.config
    # What the sign-in pages' button says, or None for no button.
    app.jinja_env.globals["oidc_provider"] = None
    if not (config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID")):
        return
    app.jinja_env.globals["oidc_provider"] = config["OIDC_NAME"]
    oauth = OAuth(app)
    oauth.register(
        "oidc",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=config["OIDC_ISSUER"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256",
                       "default_timeout": config["OIDC_TIMEOUT"]},
    )
    app.extensions[EXTENSION] = oauth.create_client("oidc")


def enabled() -> bool:
    """Does this site offer signing in with a provider?"""
    return EXTENSION in current_app.extensions


def provider_name() -> str:
    return current_app.config["OIDC_NAME"]


def _client() -> Any:
    client = current_app.extensions.get(EXTENSION)
    if client is None:
        raise NotFound("There is no page at this address.")
    return client


def redirect_uri() -> str:
    """Built on BASE_URL, as links in mail are: the provider has it registered."""
    return current_app.config["BASE_URL"].rstrip("/") + CALLBACK_PATH


def _unavailable(problem: Exception) -> ProviderUnavailable:
    log.warning("the identity provider failed: %s", problem)
    return ProviderUnavailable(
        f"{provider_name()} is not answering just now, so you could not sign in with it. "
        "Please try again in a few minutes, or sign in with your password.")


def send_to_provider() -> Response:
    """Redirect the browser to the provider's sign-in page (state, nonce and PKCE
    verifier kept in the session)."""
    try:
        return _client().authorize_redirect(redirect_uri())
    except (requests.RequestException, ValueError, KeyError) as problem:
        raise _unavailable(problem) from problem


def claims_from_callback() -> Claims:
    """Check what the provider sent back and say who signed in; a forged, replayed or
    refused answer is a 400, a provider that fails is a 502."""
    client = _client()
    try:
        token = client.authorize_access_token()
        verified = token.get("userinfo")
        if not verified:
            raise Invalid(f"{provider_name()} sent no ID token, so nobody was signed in.")
        claims = dict(verified)
        if "email" not in claims:  # many providers keep the address for userinfo
            extra = client.userinfo(token=token)
            if extra.get("sub") == claims["sub"]:
                claims = {**extra, **claims}
    except (AuthlibBaseError, JoseError) as problem:
        log.info("a sign-in with the identity provider was refused: %s", problem)
        raise Invalid(
            f"The answer from {provider_name()} could not be checked (it may have been "
            "used already, or it expired). Please start again.") from problem
    except (requests.RequestException, ValueError) as problem:
        raise _unavailable(problem) from problem
    return Claims(
        issuer=str(claims["iss"]), subject=str(claims["sub"]),
        email=str(claims.get("email") or "").strip(),
        email_verified=claims.get("email_verified") is True,
        preferred_username=str(claims.get("preferred_username") or ""))
