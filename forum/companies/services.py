"""Creating companies and managing their staff."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from forum import policy
from forum.accounts.models import User
from forum.accounts.services import find_user
from forum.companies.access import NO_SUCH_COMPANY, find_company, out_of_sight
from forum.companies.models import SLUG_PATTERN, Company, Membership, Role
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.pagination import Page, paginate

MAX_NAME = 80
MAX_TAGLINE = 140
MAX_DESCRIPTION = 5000
# Besides these, a company may not take the name of any top-level path the app serves.
RESERVED_SLUGS = {"new", "admin", "manage", "api", "static", "search"}
DIRECTORY_PER_PAGE = 24


def reserved_slugs() -> set[str]:
    """Words no company address may be: the fixed ones and every top-level path served."""
    served = {rule.rule.strip("/").split("/")[0] for rule in current_app.url_map.iter_rules()}
    return RESERVED_SLUGS | served


def list_companies() -> list[Company]:
    """Every company, alphabetical (for site admins)."""
    return list(db.session.scalars(select(Company).order_by(func.lower(Company.name))))


def directory(viewer: Any, page: int = 1) -> Page:
    """One page of the directory, alphabetical: the home page stays as light with
    hundreds of companies as with three. Only approved companies with an owner are
    listed: a space nobody at the company manages is nobody's to speak for. A private
    space is listed only to those who may see it."""
    return paginate(listed_companies(viewer).order_by(func.lower(Company.name), Company.id),
                    page, DIRECTORY_PER_PAGE)


def listed_companies(viewer: Any) -> Select[tuple[Company]]:
    """The companies the directory lists to `viewer` (the API's list too), unordered."""
    owned = select(Membership.id).where(Membership.company_id == Company.id,
                                        Membership.role == Role.OWNER.value).exists()
    return select(Company).where(Company.approved_at.is_not(None), owned,
                                 Company.id.not_in(out_of_sight(viewer)))


def get_company(slug: str) -> Company:
    """The company at `slug`, or NotFound. Under `/c/<slug>` the guard of private spaces
    has already refused anyone who may not see it (forum.companies.access)."""
    company = find_company(slug)
    if company is None:
        raise NotFound(NO_SUCH_COMPANY)
    return company


def managed_company(actor: User, slug: str, action: str = policy.Action.VIEW_MANAGE
                    ) -> Company:
    """The company at `slug`, if `actor` may do `action` to it (403 with the reason): the
    way into every page of a company's management, forum's and plug-ins'."""
    company = get_company(slug)
    policy.require(actor, action, company)
    return company


def check_slug(slug: str) -> str:
    """A company address as typed, cleaned, or Invalid: the same rule for an address
    opened by an admin and one asked for."""
    slug = slug.strip().lower()
    if not re.match(SLUG_PATTERN, slug) or slug in reserved_slugs():
        raise Invalid("Slugs are lower-case letters, digits and dashes, up to 40.", "slug")
    return slug


def slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Company.id).where(Company.slug == slug)) is not None


def clean_website(website: str) -> str:
    website = website.strip()
    if website and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", website):
        raise Invalid("Websites start with http:// or https://.", field="website")
    return website[:255]


def check_fields(name: str, tagline: str, description: str) -> None:
    if not name.strip():
        raise Invalid("A company needs a name.", field="name")
    if len(name.strip()) > MAX_NAME:
        raise Invalid(f"Names are at most {MAX_NAME} characters.", field="name")
    if len(tagline) > MAX_TAGLINE:
        raise Invalid(f"Taglines are at most {MAX_TAGLINE} characters.", field="tagline")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            f"Descriptions are at most {MAX_DESCRIPTION} characters.", field="description"
        )


def create_company(
    actor: User, *, name: str, slug: str, tagline: str = "", description: str = "",
    website: str = "", logo_url: str = "", owner: User | None = None,
    verified_domain: str = "",
) -> Company:
    """A site admin opens a company's space (approved as it opens), naming its first
    owner: the directory lists no company without one. `verified_domain` is the domain
    its request proved by mail (forum.companies.requests)."""
    policy.require(actor, policy.Action.CREATE_COMPANY)
    check_fields(name, tagline, description)
    slug = check_slug(slug)
    with write_transaction():
        if slug_taken(slug):
            raise Conflict("Another company already has that address.", field="slug")
        company = Company(
            name=name.strip(), slug=slug, tagline=tagline.strip(),
            description=description.strip(), website=clean_website(website),
            logo_url=clean_website(logo_url), approved_at=utcnow(),
            verified_domain=verified_domain,
        )
        db.session.add(company)
        if owner is not None:
            db.session.add(Membership(user=owner, company=company, role=Role.OWNER.value))
        record(events.COMPANY_CREATED, actor, company, company,
               {"slug": slug, "owner": owner.username if owner else None})
    return company


def update_company(
    actor: User, company: Company, *, name: str, tagline: str, description: str,
    website: str, logo_url: str = "",
) -> None:
    """An owner edits how the company presents itself."""
    policy.require(actor, policy.Action.EDIT_COMPANY, company)
    check_fields(name, tagline, description)
    with write_transaction():
        before = _settings(company)
        company.name = name.strip()
        company.tagline = tagline.strip()
        company.description = description.strip()
        company.website = clean_website(website)
        company.logo_url = clean_website(logo_url)
        after = _settings(company)
        changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        record(events.COMPANY_UPDATED, actor, company, company, {"changed": changed})


def _settings(company: Company) -> dict[str, str]:
    return {"name": company.name, "tagline": company.tagline,
            "description": company.description, "website": company.website,
            "logo_url": company.logo_url}


def list_staff(company: Company) -> list[Membership]:
    """A company's staff, owners first."""
    order = {Role.OWNER.value: 0, Role.MODERATOR.value: 1, Role.TEAM.value: 2}
    rows = db.session.scalars(
        select(Membership).where(Membership.company_id == company.id).join(Membership.user)
        .options(contains_eager(Membership.user)).order_by(func.lower(User.username))
    )
    return sorted(rows, key=lambda membership: order.get(membership.role, 3))


def set_staff_role(actor: User, company: Company, username: str, role: str) -> Membership:
    """Add a person to the staff, or change their role; one role per company."""
    policy.require(actor, policy.Action.MANAGE_STAFF, company)
    if role not in {r.value for r in Role}:
        raise Invalid("Roles are team, moderator or owner.", field="role")
    user = find_user(username.strip())
    if user is None:
        raise Invalid("There is no one with that username.", field="username")
    with write_transaction():
        membership = db.session.scalar(
            select(Membership).where(Membership.company_id == company.id,
                                     Membership.user_id == user.id)
        )
        before = membership.role if membership else None
        if membership is None:
            membership = Membership(user_id=user.id, company_id=company.id, role=role)
            db.session.add(membership)
        else:
            _keep_an_owner(company, membership, role)
            membership.role = role
        record(events.STAFF_ROLE_SET, actor, user, company,
               {"username": user.username, "role": [before, role]})
    return membership


def remove_staff(actor: User, company: Company, membership_id: int) -> None:
    """Take a person off the staff; they stay a customer."""
    policy.require(actor, policy.Action.MANAGE_STAFF, company)
    with write_transaction():
        membership = db.session.get(Membership, membership_id)
        if membership is None or membership.company_id != company.id:
            raise NotFound("That person is not on this company's staff.")
        _keep_an_owner(company, membership, None)
        record(events.STAFF_REMOVED, actor, membership.user, company,
               {"username": membership.user.username, "role": [membership.role, None]})
        db.session.delete(membership)


def _keep_an_owner(company: Company, membership: Membership, new_role: str | None) -> None:
    """A company must keep at least one owner, or nobody could manage it."""
    if membership.role != Role.OWNER.value or new_role == Role.OWNER.value:
        return
    owners = db.session.scalar(
        select(func.count()).select_from(Membership)
        .where(Membership.company_id == company.id, Membership.role == Role.OWNER.value)
    )
    if (owners or 0) <= 1:
        raise Conflict("A company needs at least one owner: add another owner first.")
