"""The company directory, company pages and the staff's management pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum import policy
from forum.companies import access, privacy, requests, services
from forum.companies.forms import (
    CompanyForm,
    CompanyRequestForm,
    GuestForm,
    PrivacyForm,
    StaffForm,
)
from forum.errors import Conflict, DomainError
from forum.forms import Form, form_round_trip, redirect_with_message, username_or_email
from forum.hooks import hooks_of
from forum.notifications.services import following
from forum.pagecache.cache import cached_for_visitors
from forum.routing import parse_page
from forum.threads import queries as threads

bp = Blueprint("companies", __name__)
# Every page under /c/<slug>, forum's and plug-ins', answers 404 to anyone who may not
# see a private space, before its view runs.
bp.before_app_request(access.guard_private_spaces)


@bp.get("/")
@cached_for_visitors
def home() -> str:
    """The company directory: where every customer starts."""
    page = services.directory(current_user, request.args.get("page", 1, type=parse_page))
    return render_template("companies/home.html", companies=page.items, page=page)


@bp.route("/companies/request", methods=["GET", "POST"])
@login_required
def ask_for_space() -> ResponseReturnValue:
    """Ask for a company's space: a link goes to the work email, then an admin decides."""
    policy.require(current_user, policy.Action.REQUEST_COMPANY)
    form = CompanyRequestForm()
    return form_round_trip(
        form, "companies/request.html",
        lambda: requests.ask_for_space(current_user, name=form.name.data,
                                       slug=form.slug.data, website=form.website.data,
                                       work_email=form.work_email.data),
        lambda asked: redirect_with_message(
            url_for("companies.my_requests"),
            f"Check the inbox of {asked.work_email}: open the link we sent there to "
            "confirm it. A site admin reviews the request after that."),
        refusal_statuses={Conflict: 409})


@bp.get("/companies/requests")
@login_required
def my_requests() -> str:
    """The spaces a person asked for, and where each stands."""
    return render_template("companies/my_requests.html",
                           requests=requests.my_requests(current_user))


@bp.route("/companies/requests/confirm/<token>", methods=["GET", "POST"])
def confirm_request(token: str) -> ResponseReturnValue:
    """The link mailed to the work email: a page with a button, since a mail scanner that
    opens every link must not confirm anything; the button confirms."""
    asked = requests.request_of_link(token)
    form = Form()
    if not form.validate_on_submit():
        return render_template("companies/confirm_request.html", asked=asked, form=form)
    requests.confirm_work_email(token)
    return redirect_with_message(
        url_for("companies.home"),
        f"{asked.work_email} is confirmed. A site admin reviews the request for "
        f"{asked.name} now; {asked.requester.username} hears of the decision.")


@bp.get("/c/<slug>")
@cached_for_visitors
def company(slug: str) -> str:
    """A company's public page."""
    company = services.get_company(slug)
    return render_template("companies/company.html", company=company,
                           staff=services.list_staff(company),
                           responsiveness=threads.responsiveness(company),
                           latest=threads.latest_threads(company).items[:5],
                           follow_state=following(current_user, company),
                           follow_url=url_for("notifications.follow_company", slug=slug))


@bp.get("/c/<slug>/manage")
@login_required
def manage(slug: str) -> str:
    """The staff's start page for one company."""
    company = services.managed_company(current_user, slug)
    sections = [section(company) for action, section in hooks_of().manage_sections
                if action is None or policy.can(current_user, action, company)]
    return render_template("companies/manage.html", company=company, sections=sections)


@bp.route("/c/<slug>/manage/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str) -> ResponseReturnValue:
    """Owners edit the company's public details."""
    company = services.managed_company(current_user, slug, policy.Action.EDIT_COMPANY)
    form = CompanyForm(obj=company)
    return form_round_trip(
        form, "companies/settings.html",
        lambda: services.update_company(
            current_user, company, name=form.name.data, tagline=form.tagline.data or "",
            description=form.description.data or "", website=form.website.data or "",
            logo_url=form.logo_url.data or "",
        ),
        lambda _: redirect_with_message(url_for("companies.company", slug=company.slug),
                                        "Company details saved."),
        company=company)


@bp.route("/c/<slug>/manage/staff", methods=["GET", "POST"])
@login_required
def staff(slug: str) -> ResponseReturnValue:
    """Owners add staff by username, or change a member's role."""
    company = services.managed_company(current_user, slug, policy.Action.MANAGE_STAFF)
    form = StaffForm()
    return form_round_trip(
        form, "companies/staff.html",
        lambda: services.set_staff_role(current_user, company, form.username.data,
                                        form.role.data),
        lambda membership: redirect_with_message(
            url_for("companies.staff", slug=company.slug),
            f"{membership.user.username} is now {membership.role} at {company.name}."),
        company=company, staff=services.list_staff(company))


@bp.post("/c/<slug>/manage/staff/<int:membership_id>/remove")
@login_required
def remove_staff(slug: str, membership_id: int) -> Response:
    """Take someone off the staff."""
    company = services.managed_company(current_user, slug, policy.Action.MANAGE_STAFF)
    try:
        services.remove_staff(current_user, company, membership_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Removed from the staff.", "success")
    return redirect(url_for("companies.staff", slug=company.slug))


@bp.route("/c/<slug>/manage/privacy", methods=["GET", "POST"])
@login_required
def privacy_page(slug: str) -> ResponseReturnValue:
    """Owners make the space private or public, and invite the customers who see it
    while it is private (by username or email address)."""
    company = services.managed_company(current_user, slug, policy.Action.MANAGE_GUESTS)
    form = GuestForm()
    return form_round_trip(
        form, "companies/privacy.html",
        lambda: privacy.invite_guest(current_user, company,
                                     **username_or_email(form.customer.data or "")),
        lambda invited: redirect_with_message(
            url_for("companies.privacy_page", slug=company.slug),
            f"{invited.named} is a guest of {company.name}: "
            + ("they see the private space now." if company.is_private
               else "they will see the space if it is made private.")),
        refusal_statuses={Conflict: 409},
        company=company, guests=privacy.list_guests(company), privacy_form=PrivacyForm(),
        staff_count=len(services.list_staff(company)))


@bp.post("/c/<slug>/manage/privacy/set")
@login_required
def set_privacy(slug: str) -> Response:
    """Make the space private or public (the page asked to confirm)."""
    company = services.managed_company(current_user, slug, policy.Action.EDIT_COMPANY)
    form = PrivacyForm()
    if not form.validate_on_submit():
        flash("Choose whether the space is public or private.", "error")
        return redirect(url_for("companies.privacy_page", slug=company.slug), 303)
    private = form.private.data == "private"
    changed = privacy.set_privacy(current_user, company, private)
    if not changed:
        flash(f"{company.name} was {'private' if private else 'public'} already: "
              "nothing changed.", "info")
    elif private:
        flash(f"{company.name} is private: only its staff, its guests and site admins see "
              "it now.", "success")
    else:
        flash(f"{company.name} is public: anyone can read it and search finds it.",
              "success")
    return redirect(url_for("companies.privacy_page", slug=company.slug))


@bp.post("/c/<slug>/manage/privacy/guests/<int:guest_id>/remove")
@login_required
def remove_guest(slug: str, guest_id: int) -> Response:
    """Take a guest out of the private space."""
    company = services.managed_company(current_user, slug, policy.Action.MANAGE_GUESTS)
    try:
        guest = privacy.remove_guest(current_user, company, guest_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{guest.user.username} is no longer a guest of {company.name}.", "success")
    return redirect(url_for("companies.privacy_page", slug=company.slug))
