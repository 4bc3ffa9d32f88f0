"""Mail preferences, and leaving a kind of mail from a link that needs no sign-in."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum.extensions import csrf
from forum.forms import form_round_trip, redirect_with_message
from forum.mail import services
from forum.mail.forms import preferences_form
from forum.mail.models import DELIVERIES
from forum.mail.runtime import MailRuntime

bp = Blueprint("mail", __name__)


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def preferences() -> ResponseReturnValue:
    """Which kinds of notification come by mail, at once or in the daily digest."""
    kinds = services.kinds()
    chosen = services.preferences(current_user)
    form = preferences_form(kinds, digest_hour=str(current_user.digest_hour),
                            timezone=current_user.timezone,
                            **{f"kind_{name}": delivery for name, delivery in chosen.items()})
    return form_round_trip(
        form, "mail/preferences.html",
        lambda: services.save_preferences(
            current_user, {name: form[f"kind_{name}"].data for name in kinds},
            int(form.digest_hour.data), form.timezone.data),
        lambda _: redirect_with_message(url_for("mail.preferences"),
                                        "Your mail preferences are saved."),
        deliveries=DELIVERIES)


@bp.get("/mail/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    """What the link would stop, with one button: a GET changes nothing, since mail
    scanners open links on their own."""
    user, stopping = services.unsubscribe_link(token)
    return render_template("mail/unsubscribe.html", token=token, person=user,
                           stopping=stopping, done=False)


@bp.post("/mail/unsubscribe/<token>")
@csrf.exempt  # the signed link is the proof; mail programs post it without a form (RFC 8058)
def unsubscribe_now(token: str) -> ResponseReturnValue:
    """One-click unsubscribe, from the button or the mail program itself."""
    user, stopped = services.unsubscribe(token)
    return render_template("mail/unsubscribe.html", token=token, person=user,
                           stopping=stopped, done=True)


def configure_mail(app: Flask) -> None:
    """Its pages, and the sender thread under the development server."""
    app.extensions[MailRuntime.EXTENSION] = runtime = MailRuntime(app)
    app.register_blueprint(bp)
    app.before_request(runtime.start_on_first_request)
