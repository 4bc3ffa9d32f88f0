"""Company spaces by consent: a person asks for their company's space, proves its work
email's domain from a link mailed there, and a site admin approves or declines.

A company speaks here in its own name, so nobody may open a space for a company that
did not ask: the link proves that someone who reads mail at the company's domain wants
it, and the admin checks the rest (is this the company the website says?). The request
is kept either way, with who decided, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, url_for
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import joinedload

from forum import policy
from forum.accounts.email import check_email
from forum.accounts.models import User
from forum.companies.models import Company, CompanyRequest, RequestStatus, domain_within
from forum.companies.services import (
    check_fields,
    check_slug,
    clean_website,
    create_company,
    slug_taken,
)
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound, TooMany
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.mail import tokens
from forum.mail.compose import mail_context
from forum.mail.queue import queue_account_mail, render_letter

# Addresses anyone can get prove nothing about a company. Not every provider: the
# common ones, so a mistake is caught early; the admin who reviews sees the rest.
FREE_MAIL_PROVIDERS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
    "web.de", "mail.com", "yandex.ru", "qq.com", "163.com",
})
REQUESTS_PER_DAY = 3  # per person: each one mails a stranger's inbox
MAX_NOTE = 500
RECENTLY_DECIDED = 20  # decided requests the admin page shows under the open ones
OPEN = (RequestStatus.AWAITING_EMAIL.value, RequestStatus.AWAITING_REVIEW.value)


@dataclass(frozen=True)
class AskedFor:
    """A request as its form gives it, checked."""

    name: str
    slug: str
    website: str
    work_email: str
    domain: str


def _hours() -> float:
    return float(current_app.config["CONFIRM_EMAIL_HOURS"])


def _open() -> ColumnElement[bool]:
    """Requests still in play: waiting for review, or for a link that has not expired
    (an unconfirmed request whose link expired holds nothing)."""
    fresh = utcnow() - timedelta(hours=_hours())
    return or_(CompanyRequest.status == RequestStatus.AWAITING_REVIEW.value,
               (CompanyRequest.status == RequestStatus.AWAITING_EMAIL.value)
               & (CompanyRequest.created_at > fresh))


def website_domain(website: str) -> str:
    """The domain a website is at, lower-case, without a port or a leading "www."
    (www.northwind.example and mail.northwind.example are one company's)."""
    return (urlsplit(website).hostname or "").lower().rstrip(".").removeprefix("www.")


def check_request(name: str, slug: str, website: str, work_email: str) -> AskedFor:
    """The form's fields, each refused with the rule it breaks."""
    check_fields(name, "", "")
    slug = check_slug(slug)
    if not website.strip():
        raise Invalid("Give the company's website, so we can tell it is yours.", "website")
    website = clean_website(website)
    host = website_domain(website)
    if "." not in host:
        raise Invalid("Give the company's website, as https://example.com.", "website")
    work_email = check_email(work_email, field="work_email")
    domain = work_email.rpartition("@")[2].lower().rstrip(".")
    if domain in FREE_MAIL_PROVIDERS:
        raise Invalid(f"Addresses at {domain} are open to anyone: use your work address "
                      f"at {host}.", "work_email")
    if "." not in domain or not (domain_within(domain, host) or domain_within(host, domain)):
        raise Invalid(f"Your work email must be at the website's domain, {host} "
                      "(or one of its subdomains).", "work_email")
    return AskedFor(name.strip(), slug, website, work_email, domain)


def ask_for_space(user: User, *, name: str, slug: str, website: str,
                  work_email: str) -> CompanyRequest:
    """Ask for a company's space: a link that proves the work email goes to it, and
    nothing opens until it is confirmed and an admin approves."""
    policy.require(user, policy.Action.REQUEST_COMPANY)
    asked = check_request(name, slug, website, work_email)
    with write_transaction():
        mine = select(func.count()).select_from(CompanyRequest).where(
            CompanyRequest.requester_id == user.id)
        if db.session.scalar(mine.where(_open())):
            raise Conflict("You have a request waiting already: see “Your requests”. "
                           "Ask for another once it is decided.")
        since = utcnow() - timedelta(days=1)
        if (db.session.scalar(mine.where(CompanyRequest.created_at > since)) or 0
                ) >= REQUESTS_PER_DAY:
            raise TooMany(f"You can ask for {REQUESTS_PER_DAY} spaces a day. "
                          "Try again tomorrow.")
        if slug_taken(asked.slug) or db.session.scalar(select(CompanyRequest.id).where(
                CompanyRequest.slug == asked.slug, _open())) is not None:
            raise Invalid("Another company has that address, or has asked for it.", "slug")
        request = CompanyRequest(requester_id=user.id, name=asked.name, slug=asked.slug,
                                 website=asked.website, work_email=asked.work_email,
                                 domain=asked.domain,
                                 status=RequestStatus.AWAITING_EMAIL.value,
                                 decision_note="", created_at=utcnow())
        db.session.add(request)
        db.session.flush()
        record(events.COMPANY_REQUESTED, user, request, None,
               {"name": asked.name, "slug": asked.slug, "domain": asked.domain})
        _mail_link(user, request)
    return request


def _mail_link(user: User, request: CompanyRequest) -> None:
    token = tokens.sign(tokens.COMPANY_REQUEST, [request.id, request.work_email.lower()])
    with mail_context():
        letter = render_letter("confirm_company", user=user, asked=request,
                               hours=int(_hours()),
                               link=url_for("companies.confirm_request", token=token,
                                            _external=True))
    queue_account_mail(request.work_email, letter, user)


def request_of_link(token: str) -> CompanyRequest:
    """The request a confirmation link is for, while it still waits for it, or a 400."""
    payload = tokens.read(tokens.COMPANY_REQUEST, token, _hours() * 3600)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        raise Invalid("This link is not valid. Copy the whole link from the mail.")
    request = db.session.get(CompanyRequest, payload[0])
    if request is None or request.work_email.lower() != str(payload[1]):
        raise Invalid("This link is not valid. Copy the whole link from the mail.")
    if request.status != RequestStatus.AWAITING_EMAIL:
        raise Invalid("This link was used already: the address is confirmed. "
                      "The request is waiting for a site admin, or decided.")
    return request


def confirm_work_email(token: str) -> CompanyRequest:
    """The work email is proved: the request goes to the site admins."""
    request = request_of_link(token)
    with write_transaction():
        request.email_confirmed_at = utcnow()
        request.status = RequestStatus.AWAITING_REVIEW.value
        record(events.COMPANY_REQUEST_CONFIRMED, request.requester, request, None,
               {"name": request.name, "slug": request.slug, "domain": request.domain})
    return request


def get_request(request_id: int) -> CompanyRequest:
    request = db.session.get(CompanyRequest, request_id)
    if request is None:
        raise NotFound("There is no such request.")
    return request


def approve_request(actor: User, request: CompanyRequest) -> Company:
    """Open the company, its requester its owner and its proved domain verified, in the
    same transaction as the decision."""
    policy.require(actor, policy.Action.DECIDE_COMPANY_REQUEST, request)
    with write_transaction():
        _undecided(request)
        company = create_company(actor, name=request.name, slug=request.slug,
                                 website=request.website, owner=request.requester,
                                 verified_domain=request.domain)
        _decide(actor, request, RequestStatus.APPROVED, "")
        request.company = company
        record(events.COMPANY_REQUEST_APPROVED, actor, request, company,
               {"name": request.name, "slug": company.slug})
    return company


def decline_request(actor: User, request: CompanyRequest, note: str) -> None:
    """Decline, with the reason the requester reads."""
    policy.require(actor, policy.Action.DECIDE_COMPANY_REQUEST, request)
    note = note.strip()
    if not note:
        raise Invalid("Say why: the person who asked reads it.", "note")
    if len(note) > MAX_NOTE:
        raise Invalid(f"Reasons are at most {MAX_NOTE} characters.", "note")
    with write_transaction():
        _undecided(request)
        _decide(actor, request, RequestStatus.DECLINED, note)
        record(events.COMPANY_REQUEST_DECLINED, actor, request, None,
               {"name": request.name, "slug": request.slug, "reason": note})


def _undecided(request: CompanyRequest) -> None:
    """Read again inside the transaction: two admins deciding at once decide once."""
    db.session.refresh(request)
    if request.is_decided:
        raise Conflict("This request was already decided.")
    if request.status != RequestStatus.AWAITING_REVIEW:
        raise Conflict("This request waits for its work email to be confirmed first.")


def _decide(actor: User, request: CompanyRequest, status: RequestStatus, note: str) -> None:
    request.status = status.value
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    request.decision_note = note


def my_requests(user: User) -> list[CompanyRequest]:
    """A person's requests, newest first (with the company of an approved one)."""
    return list(db.session.scalars(
        select(CompanyRequest).where(CompanyRequest.requester_id == user.id)
        .options(joinedload(CompanyRequest.company)).order_by(CompanyRequest.id.desc())))


def requests_for_review() -> tuple[list[CompanyRequest], list[CompanyRequest]]:
    """For the site admins: those waiting for a decision, oldest first, and the latest
    decided ones."""
    loaded = (joinedload(CompanyRequest.requester), joinedload(CompanyRequest.decided_by),
              joinedload(CompanyRequest.company))
    waiting = db.session.scalars(
        select(CompanyRequest).options(*loaded)
        .where(CompanyRequest.status == RequestStatus.AWAITING_REVIEW.value)
        .order_by(CompanyRequest.id))
    decided = db.session.scalars(
        select(CompanyRequest).options(*loaded)
        .where(CompanyRequest.status.in_([RequestStatus.APPROVED.value,
                                          RequestStatus.DECLINED.value]))
        .order_by(CompanyRequest.decided_at.desc(), CompanyRequest.id.desc())
        .limit(RECENTLY_DECIDED))
    return list(waiting), list(decided)
