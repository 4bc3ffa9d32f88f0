"""Private company spaces: who sees a company, and the 404 everyone else gets.

A private company's pages, threads and ideas are there only for its staff, the customers
an owner invited (its guests) and site admins; to anyone else the space does not exist,
and it answers as a wrong address does. Three things keep it so:

- every URL under `/c/<slug>` asks the policy (VIEW_COMPANY) once, before its view runs
  (`guard_private_spaces`), so a page added later, forum's or a plug-in's, is covered
  without asking for it;
- every list that spans companies (search, the directory, profiles, home, notifications)
  leaves out `out_of_sight(viewer)`, in the same statement;
- the notifier and the mail sender ask the policy about each recipient (VIEW_THREAD
  includes VIEW_COMPANY), so nobody hears of what they may not see.

Kept pages (forum.pagecache) hold only what a signed-out visitor was shown, so only public
spaces; making a space private records an event shown everywhere, which makes every kept
page stale at once. A kept page that is still current is therefore of a public space,
and is served without asking again. (While the database is down, visitors may be served
pages as they were kept, up to PAGE_CACHE_STALE_SECONDS old: a space made private just
before the outage may show them what it showed everyone until then.)
"""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, bindparam, false, or_, select

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company, CompanyGuest, Membership
from forum.errors import NotFound
from forum.extensions import db
from forum.pagecache.cache import kept_page

_IN_URL = "cocreate_company_in_url"  # on g: (slug, Company | None) of this request's URL
NO_SUCH_COMPANY = "There is no company at that address."


def find_company(slug: str) -> Company | None:
    """The company at `slug`, or None; loaded once per request however often it is asked
    (the guard, then the view)."""
    slug = slug.lower()
    memo = g.get(_IN_URL) if has_request_context() else None
    if memo is not None and memo[0] == slug:
        return memo[1]
    company = db.session.scalar(_company_by_slug(), {"slug": slug})
    if has_request_context():
        setattr(g, _IN_URL, (slug, company))
    return company


@functools.cache
def _company_by_slug() -> Select[tuple[Company]]:
    """Built once, with a bind parameter: nearly every page under /c/<slug> reads it."""
    return select(Company).where(Company.slug == bindparam("slug"))


def visible_company(viewer: Any, slug: str) -> Company:
    """The company at `slug` if `viewer` may see it; NotFound, worded alike, if there is
    none or it is a private space they are not part of."""
    company = find_company(slug)
    if company is None or not policy.can(viewer, policy.Action.VIEW_COMPANY, company):
        raise NotFound(NO_SUCH_COMPANY)
    return company


def out_of_sight(viewer: Any) -> Select[tuple[int]]:
    """The ids of the private spaces `viewer` may not see, as a subquery for `not_in`
    (the same rule as the policy's VIEW_COMPANY, in SQL)."""
    private = select(Company.id).where(Company.is_private.is_(True))
    if not getattr(viewer, "is_authenticated", False):
        return private
    if viewer.is_site_admin:
        return private.where(false())
    return private.where(
        Company.id.not_in(select(Membership.company_id)
                          .where(Membership.user_id == viewer.id)),
        Company.id.not_in(select(CompanyGuest.company_id)
                          .where(CompanyGuest.user_id == viewer.id)))


def inside_space(company_id: int) -> ColumnElement[bool]:
    """Over `User`: the people who see the private space `company_id` (site admins, its
    staff, its guests), for picking them out of many in one statement."""
    return or_(User.is_site_admin.is_(True),
               User.id.in_(select(Membership.user_id)
                           .where(Membership.company_id == company_id)),
               User.id.in_(select(CompanyGuest.user_id)
                           .where(CompanyGuest.company_id == company_id)))


def unseen_company_ids(viewer: Any) -> frozenset[int]:
    """`out_of_sight(viewer)` as ids, for filters that are not SQL (the search index)."""
    return frozenset(db.session.scalars(out_of_sight(viewer)))


def guard_private_spaces() -> None:
    """Before every view under `/c/<slug>`: a private space answers 404 to anyone not
    part of it. A current kept page is of a public space (see the module's doc)."""
    rule, slug = request.url_rule, (request.view_args or {}).get("slug")
    if rule is None or not isinstance(slug, str) or not rule.rule.startswith("/c/<slug>"):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "kept_for_visitors", False) and kept_page() is not None:
        return
    visible_company(current_user, slug)
