"""Exports people and owners ask for: checked by the policy, recorded in the log, then
streamed (the rows are read while the zip is sent)."""

from __future__ import annotations

from collections.abc import Iterator

from forum import policy
from forum.accounts.models import User
from forum.companies.access import unseen_company_ids
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.dataexport import company as company_export
from forum.dataexport import personal
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db


def export_person(user: User, site: str) -> Iterator[bytes]:
    """The person's zip, in chunks; the log notes that they downloaded it."""
    policy.require(user, policy.Action.EXPORT_OWN_DATA, user)
    unseen = unseen_company_ids(user)
    with write_transaction():
        record(events.USER_DATA_EXPORTED, user, user)
    return personal.archive(db.engine, user, unseen, site, f"{utcnow():%Y-%m-%d %H:%M} UTC")


def export_company(actor: User, company: Company, site: str) -> Iterator[bytes]:
    """The company's zip of CSV files, in chunks; the log notes who downloaded it."""
    policy.require(actor, policy.Action.EXPORT_COMPANY, company)
    with write_transaction():
        record(events.COMPANY_EXPORTED, actor, company, company.id)
    return company_export.archive(db.engine, company.id, company.name, site,
                                  f"{utcnow():%Y-%m-%d %H:%M} UTC")
