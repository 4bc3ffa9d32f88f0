"""Pages only site admins see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from forum import policy
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.companies import requests
from forum.companies import services as companies
from forum.companies.forms import DeclineForm, NewCompanyForm
from forum.companies.models import Company, CompanyRequest
from forum.database import utcnow
from forum.errors import Conflict, DomainError, Invalid
from forum.extensions import db
from forum.forms import Form, form_round_trip, redirect_with_message

bp = Blueprint("admin", __name__, url_prefix="/admin")
USERS_PER_PAGE = 50
F = TypeVar("F", bound=Form)
T = TypeVar("T")


class SuspendForm(Form):
    days = IntegerField("Days", validators=[DataRequired(), NumberRange(1, 3650)], default=7)
    reason = StringField("Reason (shown to them)", validators=[Length(max=500)])


@bp.before_request
@login_required
def _admins_only() -> None:
    policy.require(current_user, policy.Action.VIEW_ADMIN)


@bp.get("/")
def index() -> str:
    """Overview: companies and the way to add one."""
    return render_template("admin/index.html", companies=companies.list_companies())


@bp.route("/companies/new", methods=["GET", "POST"])
def new_company() -> ResponseReturnValue:
    """Open a company's space for its first owner (a space nobody owns is never listed;
    companies normally ask for theirs at /companies/request)."""
    form = NewCompanyForm()

    def open_company() -> Company:
        owner = accounts.find_user(form.owner.data)
        if owner is None:
            raise Invalid("There is no one with that username.", field="owner")
        return companies.create_company(
            current_user, name=form.name.data, slug=form.slug.data,
            tagline=form.tagline.data or "", description=form.description.data or "",
            website=form.website.data or "", logo_url=form.logo_url.data or "", owner=owner,
        )

    return form_round_trip(
        form, "admin/new_company.html", open_company,
        lambda company: redirect_with_message(
            url_for("companies.company", slug=company.slug),
            f"{company.name} is open at /c/{company.slug}."))


@bp.get("/requests")
def company_requests() -> str:
    """Requests for a company's space: those waiting for a decision, and the latest
    decided."""
    return _requests_page()


def _requests_page(refused: CompanyRequest | None = None, form: Form | None = None) -> str:
    waiting, decided = requests.requests_for_review()
    return render_template("admin/requests.html", waiting=waiting, decided=decided,
                           refused=refused, form=form)


@bp.post("/requests/<int:request_id>/approve")
def approve_request(request_id: int) -> ResponseReturnValue:
    """Open the company, its requester its first owner."""
    found = requests.get_request(request_id)
    return _decide(found, Form(), lambda _form: requests.approve_request(current_user, found),
                   lambda company: f"{company.name} is open at /c/{company.slug}; "
                   f"{found.requester.username} owns it.")


@bp.post("/requests/<int:request_id>/decline")
def decline_request(request_id: int) -> ResponseReturnValue:
    """Decline, with the reason the requester reads."""
    found = requests.get_request(request_id)
    return _decide(found, DeclineForm(),
                   lambda form: requests.decline_request(current_user, found, form.note.data),
                   lambda _: f"Declined {found.name}; {found.requester.username} is told why.")


def _decide(found: CompanyRequest, form: F, service: Callable[[F], T],
            message: Callable[[T], str]) -> ResponseReturnValue:
    """A decision's round trip: done, back to the list with what was done; refused, the
    list again with why (409 when it was decided already)."""
    return form_round_trip(
        form, lambda: _requests_page(found, form), lambda: service(form),
        lambda result: redirect_with_message(url_for("admin.company_requests"),
                                             message(result)),
        refusal_statuses={Conflict: 409})


@bp.get("/users")
def users() -> str:
    """Find accounts by name or email; newest first."""
    query = request.args.get("q", "").strip()[:100]
    statement = select(User).order_by(User.id.desc()).limit(USERS_PER_PAGE)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            func.lower(User.username).like(pattern) | func.lower(User.email).like(pattern)
            | func.lower(User.pending_email).like(pattern)
        )
    return render_template("admin/users.html", users=db.session.scalars(statement).all(),
                           query=query, form=SuspendForm())


@bp.post("/users/<int:user_id>/suspend")
def suspend(user_id: int) -> Response:
    """Suspend an account for some days; its sessions end now."""
    user = db.session.get(User, user_id) or abort(404)
    form = SuspendForm()
    if not form.validate():
        flash("Give a number of days between 1 and 3650.", "error")
        return redirect(url_for("admin.users"))
    try:
        accounts.suspend(current_user, user, utcnow() + timedelta(days=form.days.data),
                         form.reason.data or "")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{user.username} is suspended for {form.days.data} days.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/unsuspend")
def unsuspend(user_id: int) -> Response:
    """Lift a suspension."""
    user = db.session.get(User, user_id) or abort(404)
    try:
        accounts.lift_suspension(current_user, user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{user.username} can sign in again.", "success")
    return redirect(url_for("admin.users"))
