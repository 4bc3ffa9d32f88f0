"""Token pages: a person's own tokens under their settings, a company's under its manage
pages (owners only). A new token's secret is shown once, on the page that made it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from forum import policy
from forum.api import tokens
from forum.companies.services import managed_company
from forum.forms import Form, form_round_trip

bp = Blueprint("api_tokens", __name__)
SCOPE_CHOICES = [SelectChoice("read", "Read"), SelectChoice("write", "Write (post, vote, propose)"),
                 SelectChoice("staff", "Staff actions (status, tags, merge)")]


class TokenForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=tokens.MAX_NAME)])
    scopes = SelectMultipleField("What it may do", choices=SCOPE_CHOICES, default=["read"],
                                 option_widget=CheckboxInput(),
                                 widget=ListWidget(prefix_label=False))
    days = IntegerField("Expires after (days, empty for never)",
                        validators=[Optional(), NumberRange(1, tokens.MAX_DAYS)])


def _made(new: tokens.NewToken, page: str, **context: object) -> tuple[str, int]:
    """The page again, with the new secret shown this once (never in a cookie or flash)."""
    return render_template(page, form=TokenForm(formdata=None), secret=new.secret,
                           made=new.token, **context), 201


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def personal() -> ResponseReturnValue:
    """A person's API tokens: make one, see when each was last used, revoke."""
    form = TokenForm()
    return form_round_trip(
        form, "api/personal_tokens.html",
        lambda: tokens.create_personal_token(current_user, form.name.data or "",
                                             form.scopes.data or [], form.days.data),
        lambda new: _made(new, "api/personal_tokens.html",
                          tokens=tokens.personal_tokens(current_user)),
        tokens=tokens.personal_tokens(current_user))


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_personal(token_id: int) -> Response:
    """Revoke one of one's tokens (the page asked to confirm)."""
    token = tokens.revoke_personal_token(current_user, token_id)
    flash(f"The token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("api_tokens.personal"))


@bp.route("/c/<slug>/manage/tokens", methods=["GET", "POST"])
@login_required
def company(slug: str) -> ResponseReturnValue:
    """A company's API tokens (owners): each acts as the owner who made it, here only."""
    found = managed_company(current_user, slug, policy.Action.MANAGE_API_TOKENS)
    form = TokenForm()
    return form_round_trip(
        form, "api/company_tokens.html",
        lambda: tokens.create_company_token(current_user, found, form.name.data or "",
                                            form.scopes.data or [], form.days.data),
        lambda new: _made(new, "api/company_tokens.html", company=found,
                          tokens=tokens.company_tokens(found)),
        company=found, tokens=tokens.company_tokens(found))


@bp.post("/c/<slug>/manage/tokens/<int:token_id>/revoke")
@login_required
def revoke_company(slug: str, token_id: int) -> Response:
    """Revoke one of the company's tokens (the page asked to confirm)."""
    found = managed_company(current_user, slug, policy.Action.MANAGE_API_TOKENS)
    token = tokens.revoke_company_token(current_user, found, token_id)
    flash(f"The token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("api_tokens.company", slug=found.slug))
