"""Who may do what, and what to tell them when they may not.

`can(user, action, subject)` returns a Decision: truthy when allowed, and otherwise the
reason the person is shown ("You are suspended until 3 May."). Each app holds its rules
in its hooks (forum's are forum.policy.rules.FORUM_RULES; plug-ins add theirs), keyed by action
constants, so a misspelt action fails at import in Python and at first render in a
template. No role check and no refusal message is written anywhere else.

This module holds the decisions, the actions and the building blocks rules are made of;
the forum's own rules are in its submodules by subject (accounts, discussion,
moderation), gathered with those about companies in forum.policy.rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from forum.accounts.models import User
from forum.companies.models import Company, Role
from forum.database import utcnow
from forum.errors import NotAllowed
from forum.hooks import Rule, hooks_of


@dataclass(frozen=True)
class Decision:
    """An answer of the policy: truthy when allowed; `reason` says why not."""

    allowed: bool
    reason: str = ""
    sign_in: bool = False  # signing in could change the answer: offer it

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def refuse(reason: str, *, sign_in: bool = False) -> Decision:
    """A refusal with the reason the person is shown."""
    return Decision(False, reason, sign_in)


class Action(StrEnum):
    """What forum's rules decide; plug-ins name theirs in their own enums."""

    SIGN_IN = "sign_in"
    VIEW_ADMIN = "view_admin"
    CREATE_COMPANY = "create_company"
    REQUEST_COMPANY = "request_company"
    DECIDE_COMPANY_REQUEST = "decide_company_request"
    EDIT_COMPANY = "edit_company"
    MANAGE_STAFF = "manage_staff"
    VIEW_MANAGE = "view_manage"
    VIEW_COMPANY = "view_company"
    MANAGE_GUESTS = "manage_guests"
    SUSPEND_USER = "suspend_user"
    EDIT_PROFILE = "edit_profile"
    UNLINK_IDENTITY = "unlink_identity"
    MANAGE_CATEGORIES = "manage_categories"
    START_THREAD = "start_thread"
    VIEW_THREAD = "view_thread"
    REPLY = "reply"
    ANNOUNCE = "announce"
    POST_OFFICIAL = "post_official"
    ACCEPT_ANSWER = "accept_answer"
    PIN_THREAD = "pin_thread"
    LOCK_THREAD = "lock_thread"
    MOVE_THREAD = "move_thread"
    EDIT_POST = "edit_post"
    DELETE_POST = "delete_post"
    VIEW_REVISIONS = "view_revisions"
    BYPASS_POSTING_LIMITS = "bypass_posting_limits"
    FOLLOW = "follow"
    FLAG_POST = "flag_post"
    MODERATE = "moderate"
    REVIEW_FLAGS = "review_flags"
    HIDE_POST = "hide_post"
    RESTORE_POST = "restore_post"
    SEE_HIDDEN_POST = "see_hidden_post"
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    ESCALATE = "escalate"
    REDACT_POST = "redact_post"
    VIEW_REDACTED = "view_redacted"
    BAN_USER = "ban_user"
    LIFT_BAN = "lift_ban"
    MANAGE_WATCHED_WORDS = "manage_watched_words"
    EXPORT_OWN_DATA = "export_own_data"
    DELETE_ACCOUNT = "delete_account"
    EXPORT_COMPANY = "export_company"
    MANAGE_API_TOKENS = "manage_api_tokens"
    MANAGE_WEBHOOKS = "manage_webhooks"


@dataclass(frozen=True)
class Standing:
    """A person at a company: what a ban is decided about."""

    company: Company
    person: User


@dataclass(frozen=True)
class Departure:
    """A person about to delete their account, and the companies they alone own."""

    person: User
    sole_owner_of: tuple[str, ...] = ()


def actions() -> list[str]:
    """Every action the current app's policy knows, for the table-driven tests."""
    return sorted(hooks_of().rules)


def can(user: Any, action: str, subject: Any = None) -> Decision:
    """May `user` do `action` to `subject`? Unknown actions are refused loudly."""
    try:
        rule = hooks_of().rules[action]
    except KeyError:
        raise LookupError(f"policy has no rule for {action!r}") from None
    return rule(user, subject)


def require(user: Any, action: str, subject: Any = None) -> None:
    """Raise NotAllowed, with the decision's reason, unless `can(user, action, subject)`."""
    decision = can(user, action, subject)
    if not decision:
        raise NotAllowed(decision.reason)


# Building blocks for rules (plug-ins use them too). Decisions chain with `and`: the
# first refusal is the answer.


def is_active(user: Any) -> bool:
    """Signed in and not suspended."""
    return bool(getattr(user, "is_authenticated", False)) and not user.is_suspended


def is_admin(user: Any) -> bool:
    return is_active(user) and bool(user.is_site_admin)


def role_at(user: Any, company: Company) -> str | None:
    """The active user's staff role at `company`; None for customers and visitors."""
    if not is_active(user):
        return None
    return user.role_at(company.id)


def has_role(user: Any, company: Company, *roles: Role) -> bool:
    """Site admins act everywhere; staff only at their own company."""
    return is_admin(user) or role_at(user, company) in {role.value for role in roles}


def day(moment: datetime) -> str:
    """'3 May', with the year when it is not this one."""
    text = f"{moment.day} {moment:%B}"
    return text if moment.year == utcnow().year else f"{text} {moment.year}"


def active(user: Any, reason: str) -> Decision:
    """Visitors are refused with `reason` and offered to sign in; suspended people are
    told until when."""
    if not getattr(user, "is_authenticated", False):
        return refuse(reason, sign_in=True)
    if user.is_suspended:
        # The reason travels with the date to every page they try to post from.
        why = f": {user.suspension_reason.rstrip('.')}" if user.suspension_reason else ""
        return refuse(f"You are suspended until {day(user.suspended_until)}{why}.")
    return ALLOWED


def not_banned(user: Any, company: Company) -> Decision:
    """Refused, with until when and why, while a moderator's ban keeps the (signed-in)
    user from posting at `company`; one query per request, however often it is asked."""
    ban = user.ban_at(company.id)
    if ban is None:
        return ALLOWED
    return refuse(f"You are banned from posting at {company.name} until {day(ban.until)}: "
                  f"{ban.why}.")


def signed_in(user: Any, to: str) -> Decision:
    """Anyone active; visitors are asked to sign in "to vote"."""
    return active(user, f"Sign in to {to}.")


def staff(user: Any, company: Company, reason: str, roles: tuple[Role, ...] = ()) -> Decision:
    """Allowed to the company's staff (of `roles`, by default any) and to site admins."""
    return active(user, reason) and check(has_role(user, company, *(roles or STAFF)), reason)


def admin_only(user: Any, reason: str) -> Decision:
    return active(user, reason) and check(is_admin(user), reason)


def check(condition: bool, reason: str) -> Decision:
    """ALLOWED when `condition` holds, otherwise the refusal."""
    return ALLOWED if condition else refuse(reason)


STAFF = (Role.TEAM, Role.MODERATOR, Role.OWNER)
MODERATORS = (Role.MODERATOR, Role.OWNER)
OWNERS = (Role.OWNER,)


def company_rule(reason: str, roles: tuple[Role, ...] = ()) -> Rule:
    """A rule over a Company: its staff (of `roles`) and site admins."""
    return lambda user, company: staff(user, company, reason, roles)


def thread_rule(reason: str) -> Rule:
    """A rule over a Thread: its company's staff and site admins."""
    return lambda user, thread: staff(user, thread.company, reason)


def view_company(user: Any, company: Company) -> Decision:
    """A private space is there only for its staff, its guests and site admins (reading
    is not posting: a suspension does not shut anyone out of it); to everyone else it
    does not exist, so the refusal reads as a wrong address does. The same rule, in SQL,
    is forum.companies.access.out_of_sight."""
    return check(not company.is_private or (
        bool(getattr(user, "is_authenticated", False))
        and (bool(user.is_site_admin) or user.role_at(company.id) is not None
             or user.is_guest_at(company.id))),
        "There is no company at that address.")

