"""Banning a person from posting at one company for a time, and lifting the ban early.

A ban never hides what the person wrote and never stops them reading: the policy
(`policy.not_banned`) refuses them starting threads, replying, editing, proposing, voting
and flagging at that company, with until when and why.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from forum import policy
from forum.accounts.models import User
from forum.accounts.services import find_user
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.moderation.hiding import check_note, check_reason, log_action
from forum.moderation.models import CompanyBan, Outcome
from forum.moderation.queries import company_row
from forum.pagination import Page, paginate
from forum.threads.models import Post

# How long a ban lasts, as the form offers it: (days, label). Always an end date: a ban
# that never ends is a platform suspension, which only site admins decide.
BAN_LENGTHS = {"1": (1, "1 day"), "7": (7, "7 days"), "30": (30, "30 days"),
               "365": (365, "1 year")}
BANS_PER_PAGE = 50


def check_length(length: str | None) -> int:
    """The number of days of one of BAN_LENGTHS."""
    if (length or "") not in BAN_LENGTHS:
        choices = ", ".join(label for _days, label in BAN_LENGTHS.values())
        raise Invalid(f"Choose how long the ban lasts: {choices}.", field="duration")
    return BAN_LENGTHS[str(length)][0]


def ban(actor: User, company: Company, person: User, days: int, category: str, note: str,
        post: Post | None = None) -> CompanyBan:
    """Ban `person` from posting at `company` for `days`, inside the caller's transaction;
    the policy and the input are checked already. A ban decided on a post is logged
    against it, so it shows in the company's public moderation log."""
    # Two moderators banning at once: the second waits for the first, then sees its ban.
    db.session.execute(select(User.id).where(User.id == person.id).with_for_update())
    now = utcnow()
    current = db.session.scalar(
        select(CompanyBan).where(CompanyBan.company_id == company.id,
                                 CompanyBan.user_id == person.id,
                                 CompanyBan.lifted_at.is_(None), CompanyBan.until > now)
        .order_by(CompanyBan.until.desc()).limit(1))
    if current is not None:
        raise Conflict(f"{person.name} is already banned from posting here until "
                       f"{policy.day(current.until)}. Lift that ban first to change it.")
    made = CompanyBan(company_id=company.id, user_id=person.id,
                      post_id=post.id if post else None, until=now + timedelta(days=days),
                      reason=str(category), note=note, actor_id=actor.id, created_at=now)
    db.session.add(made)
    db.session.flush()
    if post is not None:
        log_action(post, actor, Outcome.BAN, category, note)
    record(events.USER_BANNED, actor, made, company,
           {"user_id": person.id, "company": company.name, "until": made.until.isoformat(),
            "until_day": until_day(made), "category": str(category), "reason": note,
            "days": days})
    return made


def ban_by_name(actor: User, company: Company, username: str | None, length: str | None,
                reason: str | None, note: str | None) -> CompanyBan:
    """Ban someone named by username (reported by mail, say, rather than by a flag),
    with how long and why: the same ban as one decided on a post in the queue."""
    name = (username or "").strip().removeprefix("@")
    person = find_user(name) if name else None
    if person is None:
        raise Invalid(f"There is nobody called @{name} here." if name
                      else "Give the username of the person to ban.", field="username")
    policy.require(actor, policy.Action.BAN_USER, policy.Standing(company, person))
    days = check_length(length)
    note = check_note(note, required=False)
    category = check_reason(reason, note)
    with write_transaction():
        return ban(actor, company, person, days, category, note)


def lift_ban(actor: User, ban: CompanyBan, note: str | None) -> None:
    """A moderator ends a ban early, saying why: the person is told, and may post again."""
    policy.require(actor, policy.Action.LIFT_BAN, ban)
    note = check_note(note, required=True)
    now = utcnow()
    with write_transaction():
        lifted = db.session.execute(
            update(CompanyBan).where(CompanyBan.id == ban.id, CompanyBan.lifted_at.is_(None),
                                     CompanyBan.until > now)
            .values(lifted_at=now, lifted_by_id=actor.id, lift_note=note)
            .execution_options(synchronize_session=False)).rowcount
        if not lifted:
            raise Conflict("This ban is not in force any more: it was lifted, or it ended.")
        record(events.USER_BAN_LIFTED, actor, ban, ban.company_id,
               {"user_id": ban.user_id, "company": ban.company.name, "reason": note})


def until_day(ban: CompanyBan) -> str:
    """The last day of a ban, with its year: the person may read it months later."""
    return f"{ban.until.day} {ban.until:%B %Y}"


def get_ban(company: Company, ban_id: int) -> CompanyBan:
    """A ban at this company (a ban elsewhere is not found here)."""
    return company_row(CompanyBan, company, ban_id, "There is no such ban at this company.")


def bans_at(company: Company, page: int = 1) -> Page:
    """The company's bans, newest first, in force or not, with who they concern."""
    return paginate(
        select(CompanyBan).where(CompanyBan.company_id == company.id)
        .options(joinedload(CompanyBan.user), joinedload(CompanyBan.actor),
                 joinedload(CompanyBan.lifted_by))
        .order_by(CompanyBan.id.desc()), page, BANS_PER_PAGE)
