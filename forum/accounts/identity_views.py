"""Sign in with the site's identity provider, and the settings page of sign-in methods.

`/signin/oidc` sends the browser to the provider; `/signin/oidc/callback` is where it
comes back, and signs in, links, or asks for a username for a new account. Without a
provider configured, every route here answers 404.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum.accounts import identities, oidc
from forum.accounts.forms import UsernameForm
from forum.accounts.models import User
from forum.accounts.views import start_browser_session
from forum.errors import error_page
from forum.extensions import limiter
from forum.forms import form_round_trip, redirect_with_message
from forum.web import safe_next

bp = Blueprint("identities", __name__)

NEXT = "oidc_next"  # where to go after signing in
LINKING = "oidc_link_user"  # the account that asked to link, from the settings page
NEW = "oidc_new_account"  # the provider's claims while the person chooses a username


def _signin_limit() -> str:
    return current_app.config["SIGNIN_RATE_LIMIT"]


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


@bp.before_request
def _only_when_configured() -> None:
    if not oidc.enabled():
        abort(404)


def _to_provider() -> ResponseReturnValue:
    try:
        return oidc.send_to_provider()
    except oidc.ProviderUnavailable as error:
        return _provider_down(error)


def _provider_down(error: oidc.ProviderUnavailable) -> ResponseReturnValue:
    return error_page(error.status, error.message,
                      title=f"{oidc.provider_name()} is not answering")


@bp.get("/signin/oidc")
@limiter.limit(_signin_limit)
def signin() -> ResponseReturnValue:
    """Go to the provider to sign in; come back to `next`."""
    if current_user.is_authenticated:
        return redirect(url_for("companies.home"))
    session.pop(LINKING, None)
    session[NEXT] = safe_next(request.args.get("next"), url_for("notifications.home"))
    return _to_provider()


@bp.get("/signin/oidc/callback")
@limiter.limit(_signin_limit)
def callback() -> ResponseReturnValue:
    """Where the provider sends the browser back: sign in, link, or make an account."""
    try:
        claims = oidc.claims_from_callback()
    except oidc.ProviderUnavailable as error:
        return _provider_down(error)
    linking = session.pop(LINKING, None)
    if current_user.is_authenticated:
        if linking != current_user.id:
            return redirect(url_for("companies.home"))
        identities.link_identity(current_user, claims)
        return redirect_with_message(
            url_for("identities.settings"),
            f"Your {oidc.provider_name()} account is linked: you can sign in with it now.")
    outcome = identities.sign_in_with(claims)
    if outcome.user is None:
        session[NEW] = identities.claims_to_keep(claims)
        return redirect(url_for("identities.new_account"))
    message = f"Signed in as {outcome.user.username}."
    if outcome.linked_now:
        message += (f" Your {oidc.provider_name()} account is now linked to this account, "
                    "which has the same confirmed address: unlink it in Settings if you "
                    "wish.")
    return _signed_in(outcome.user, message)


def _signed_in(user: User, message: str) -> Response:
    target = session.get(NEXT) or url_for("notifications.home")
    start_browser_session(user, remember=False)
    return redirect_with_message(target, message)


@bp.route("/signin/oidc/new", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def new_account() -> ResponseReturnValue:
    """Choose a username for the account the provider's sign-in makes."""
    if current_user.is_authenticated:
        return redirect(url_for("companies.home"))
    claims = identities.claims_kept(session.get(NEW))
    form = UsernameForm(data={"username": _suggested_username(claims)})
    return form_round_trip(
        form, "accounts/oidc_new_account.html",
        lambda: identities.create_account(claims, form.username.data),
        lambda user: _signed_in(user, f"Welcome to Cocreate, {user.username}!"
                                + ("" if user.email else
                                   " We have sent a mail to confirm your address.")),
        claims=claims, provider=oidc.provider_name())


def _suggested_username(claims: oidc.Claims) -> str:
    """The provider's preferred_username, spelt as a username may be ("ada.l" is ada_l)."""
    kept = "".join(char if char.isascii() and char.isalnum() else "_"
                   for char in claims.preferred_username.split("@")[0])
    return kept.strip("_")[:30]


@bp.get("/settings/sign-in")
@login_required
def settings() -> str:
    """The provider accounts that sign in to this one, to link or unlink."""
    return render_template("accounts/settings_identities.html",
                           identities=identities.identities_of(current_user),
                           provider=oidc.provider_name())


@bp.post("/settings/sign-in/link")
@login_required
@limiter.limit(_signin_limit)
def link() -> ResponseReturnValue:
    """Go to the provider to link its account to this one."""
    session[LINKING] = current_user.id
    return _to_provider()


@bp.post("/settings/sign-in/<int:identity_id>/unlink")
@login_required
def unlink(identity_id: int) -> Response:
    """Stop a provider account from signing in here (refused when it is the only way in)."""
    identities.unlink_identity(current_user, identity_id)
    return redirect_with_message(
        url_for("identities.settings"),
        f"Your {oidc.provider_name()} account no longer signs in to this account.")
