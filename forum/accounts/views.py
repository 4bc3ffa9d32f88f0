"""Sign up, sign in, sign out, settings and public profiles."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from forum.accounts import email as address
from forum.accounts import invitations, services, sessions
from forum.accounts.forms import (
    ClaimForm,
    EmailForm,
    ForgotPasswordForm,
    PasswordForm,
    ProfileForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from forum.errors import Invalid
from forum.extensions import limiter
from forum.forms import form_round_trip, redirect_with_message
from forum.hooks import hooks_of
from forum.pagecache.cache import cached_for_visitors
from forum.threads import queries as threads
from forum.web import safe_next

bp = Blueprint("accounts", __name__)

def _signin_limit() -> str:
    return current_app.config["SIGNIN_RATE_LIMIT"]


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _login_key() -> str:
    """Also limit per account name, so guessing from many addresses is slowed too."""
    return "signin:" + request.form.get("login", "").strip().lower()


def start_browser_session(user: services.User, remember: bool) -> None:
    """Sign this browser in as `user`, however they proved who they are.

    A new session at sign-in: nothing a visitor had in the old one carries over."""
    session.clear()
    sessions.start_session(user, remember=remember)
    login_user(user, remember=remember)


def _signed_in(user: services.User, message: str, remember: bool) -> Response:
    """Start the session, say so, and go where the person was going."""
    start_browser_session(user, remember=remember)
    return redirect_with_message(
        safe_next(request.args.get("next"), url_for("notifications.home")), message)


def _forget_this_browser() -> None:
    """Drop the session cookie's contents and the remember-me cookie.

    logout_user() asks for the remember-me cookie to be deleted by marking the session,
    so it must come after clearing the session, not before.
    """
    session.clear()
    logout_user()


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup() -> ResponseReturnValue:
    """Create an account and sign in with it; its address is confirmed from a mail.
    The answer is the same whether or not the address is someone's already."""
    if current_user.is_authenticated:
        return redirect(url_for("companies.home"))
    form = SignUpForm()
    return form_round_trip(
        form, "accounts/signup.html",
        lambda: services.register(form.username.data, form.email.data, form.password.data),
        lambda user: _signed_in(
            user, f"Welcome to Cocreate, {user.username}! We have sent a mail to "
                  f"{user.pending_email}: open its link to confirm your address.",
            remember=False))


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
@limiter.limit(_signin_limit, methods=["POST"], key_func=_login_key)
def signin() -> ResponseReturnValue:
    """Sign in with a username or email; one message for every failure."""
    if current_user.is_authenticated:
        return redirect(url_for("companies.home"))
    form = SignInForm()
    return form_round_trip(
        form, "accounts/signin.html",
        lambda: services.authenticate(form.login.data, form.password.data),
        lambda user: _signed_in(user, f"Signed in as {user.username}.",
                                remember=form.remember.data),
        # A wrong name or password is 401, not a form to fix; a suspension stays 403.
        refusal_statuses={Invalid: 401})


@bp.post("/signout")
def signout() -> Response:
    """End this session on the server and in the browser (POST only: a link must never
    sign anyone out)."""
    if current_user.is_authenticated:
        sessions.end_current_session(current_user)
    _forget_this_browser()
    flash("You are signed out.", "info")
    return redirect(url_for("companies.home"))


@bp.get("/settings/sessions")
@login_required
def sessions_settings() -> str:
    """Where this account is signed in, with a way to end each session."""
    return render_template("accounts/settings_sessions.html",
                           sessions=sessions.active_sessions(current_user))


@bp.post("/settings/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> Response:
    """Sign one browser out; ending this one signs you out here."""
    is_current = session_id == sessions.current_session_id(current_user)
    ended = sessions.end_session(current_user, session_id)
    if is_current:
        _forget_this_browser()
        flash("You are signed out.", "info")
        return redirect(url_for("companies.home"))
    flash(f"Signed out of {sessions.describe_device(ended.user_agent)}.", "success")
    return redirect(url_for("accounts.sessions_settings"))


@bp.post("/settings/sessions/end-all")
@login_required
def end_all_sessions() -> Response:
    """Sign out everywhere, this browser included."""
    count = sessions.end_all_sessions(current_user)
    _forget_this_browser()
    flash(f"You are signed out everywhere ({count} session{'' if count == 1 else 's'}).",
          "info")
    return redirect(url_for("accounts.signin"))


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def profile_settings() -> ResponseReturnValue:
    """Edit display name and bio."""
    form = ProfileForm(obj=current_user)
    return form_round_trip(
        form, "accounts/settings_profile.html",
        lambda: services.update_profile(current_user, current_user,
                                        form.display_name.data or "", form.bio.data or ""),
        lambda _: redirect_with_message(
            url_for("accounts.profile", username=current_user.username),
            "Your profile is saved."))


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password_settings() -> ResponseReturnValue:
    """Change password; every other session of the account ends."""
    form = PasswordForm()
    if not current_user.has_password:
        del form.current_password  # made by signing in with a provider: a first password
    return form_round_trip(
        form, "accounts/settings_password.html",
        lambda: services.change_password(
            current_user, form.current_password.data if current_user.has_password else None,
            form.new_password.data),
        lambda _: redirect_with_message(url_for("accounts.profile_settings"),
                                        "Password changed. Other devices have been signed out."))


def _mail_limit() -> str:
    return current_app.config["MAIL_REQUEST_RATE_LIMIT"]


def _address_key() -> str:
    """Also limit per address asked about, so nobody floods one inbox from many places."""
    return "mail:" + request.form.get("email", "").strip().lower()


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_mail_limit, methods=["POST"])
@limiter.limit(_mail_limit, methods=["POST"], key_func=_address_key)
def forgot_password() -> ResponseReturnValue:
    """Ask for a link to choose a new password; the answer never says whether the
    address has an account."""
    form = ForgotPasswordForm()
    return form_round_trip(
        form, "accounts/forgot_password.html",
        lambda: address.request_password_reset(form.email.data),
        lambda _: redirect_with_message(
            url_for("accounts.signin"),
            f"If an account uses {form.email.data.strip()}, we have sent it a link to choose "
            "a new password. Look in your inbox (and spam folder) in a minute."))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from a mailed link (once; the link then stops working)."""
    user, _ = address.reset_link(token)  # a forged or used link is a 400 before any form
    form = ResetPasswordForm()
    return form_round_trip(
        form, "accounts/reset_password.html",
        lambda: address.reset_password(token, form.password.data),
        _after_reset, person=user)


def _after_reset(user: services.User) -> Response:
    if current_user.is_authenticated and current_user.id == user.id:
        _forget_this_browser()  # its session has ended with all the others
    return redirect_with_message(url_for("accounts.signin"),
                                 "Your password is changed and every device is signed out. "
                                 "Sign in with the new one.")


@bp.route("/account/claim/<token>", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def claim_account(token: str) -> ResponseReturnValue:
    """Claim an account a company made for you: choose a password, and you are signed in
    with your address confirmed."""
    user, _ = invitations.claim_link(token)  # a forged or claimed link is a 400 first
    form = ClaimForm()
    return form_round_trip(
        form, "accounts/claim.html",
        lambda: invitations.claim_account(token, form.password.data),
        lambda claimed: _signed_in(
            claimed, f"Welcome to Cocreate, {claimed.username}! The account is yours: "
                     "sign in with your username or address and this password.",
            remember=False),
        person=user)


@bp.get("/email/confirm/<token>")
def confirm_email(token: str) -> Response:
    """Confirm an address from the link mailed to it (it signs nobody in)."""
    user = address.confirm_email(token)
    message = f"{user.email} is confirmed. Mail about what you follow will go there."
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect_with_message(url_for("mail.preferences"), message)
    return redirect_with_message(url_for("accounts.signin"), message)


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
@limiter.limit(_mail_limit, methods=["POST"])
@limiter.limit(_mail_limit, methods=["POST"], key_func=_address_key)
def email_settings() -> ResponseReturnValue:
    """The account's address: confirmed, waiting, or refused; and changing it."""
    form = EmailForm()
    return form_round_trip(
        form, "accounts/settings_email.html",
        lambda: address.change_email(current_user, form.email.data, form.password.data),
        lambda new: redirect_with_message(
            url_for("accounts.email_settings"),
            f"We have sent a link to {new}. Your address changes when you open it."))


@bp.post("/settings/email/resend")
@login_required
@limiter.limit(_mail_limit)
def resend_confirmation() -> Response:
    """Mail the confirmation link again."""
    sent_to = address.resend_confirmation(current_user)
    return redirect_with_message(url_for("accounts.email_settings"),
                                 f"We have sent a new link to {sent_to}.")


@bp.get("/u/<username>")
@cached_for_visitors
def profile(username: str) -> str:
    """A person's public page."""
    user = services.get_profile(username)
    return render_template("accounts/profile.html", profile=user,
                           threads=threads.user_threads(user, current_user),
                           posts=threads.user_posts(user, current_user),
                           sections=[section(user, current_user)
                                     for section in hooks_of().profile_sections])
