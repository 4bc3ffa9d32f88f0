"""A company's forum sections, managed by its owners and moderators."""

from __future__ import annotations

import re

from sqlalchemy import select

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.threads.models import Category

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def list_categories(company: Company) -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.company_id == company.id)
        .order_by(Category.position, Category.name)
    ))


def get_category(company: Company, slug: str) -> Category:
    category = db.session.scalar(select(Category).where(
        Category.company_id == company.id, Category.slug == slug))
    if category is None:
        raise NotFound("There is no such category in this forum.")
    return category


def get_category_by_id(company: Company, category_id: int | None) -> Category:
    category = db.session.get(Category, category_id) if category_id else None
    if category is None or category.company_id != company.id:
        raise NotFound("Choose one of this company's categories.")
    return category


def _check(name: str, slug: str, description: str, position: int) -> tuple[str, str, str]:
    name = " ".join(name.split())
    if not 2 <= len(name) <= 60:
        raise Invalid("Category names are 2 to 60 characters.", field="name")
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise Invalid("Slugs are lower-case letters, digits and dashes.", field="slug")
    if len(description) > 300:
        raise Invalid("Descriptions are at most 300 characters.", field="description")
    if not 0 <= position <= 1000:
        raise Invalid("Order is a number from 0 to 1000.", field="position")
    return name, slug, description.strip()


def save_category(actor: User, company: Company, *, name: str, slug: str,
                  description: str = "", position: int = 0,
                  category: Category | None = None) -> Category:
    """Create a category, or change one (same function: same rules)."""
    policy.require(actor, policy.Action.MANAGE_CATEGORIES, company)
    name, slug, description = _check(name, slug, description, position)
    with write_transaction():
        clash = db.session.scalar(select(Category.id).where(
            Category.company_id == company.id, Category.slug == slug,
            Category.id != (category.id if category else -1)))
        if clash is not None:
            raise Conflict("Another category already uses that slug.", field="slug")
        if category is None:
            category = Category(company_id=company.id)
            db.session.add(category)
        elif category.company_id != company.id:
            raise NotFound("That category is not part of this company's forum.")
        category.name, category.slug = name, slug
        category.description, category.position = description, position
        record(events.CATEGORY_SAVED, actor, category, company, {"name": name, "slug": slug})
    return category


def delete_category(actor: User, company: Company, category: Category) -> None:
    """Remove an empty category; one with threads must be emptied first (nothing is lost)."""
    policy.require(actor, policy.Action.MANAGE_CATEGORIES, company)
    if category.company_id != company.id:
        raise NotFound("That category is not part of this company's forum.")
    if category.thread_count > 0:
        raise Conflict("Move this category's threads elsewhere before removing it.")
    with write_transaction():
        record(events.CATEGORY_DELETED, actor, category, company,
               {"name": category.name, "slug": category.slug})
        db.session.delete(category)
