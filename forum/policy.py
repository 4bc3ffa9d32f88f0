"""Who may do what, and what to tell them when they may not.

`can(user, action, subject)` returns a Decision: truthy when allowed, and otherwise the
reason the person is shown ("You are suspended until 3 May."). Each app holds its rules
in its hooks (forum's are FORUM_RULES below; plug-ins add theirs), keyed by action
constants, so a misspelt action fails at import in Python and at first render in a
template. No role check and no refusal message is written anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from forum.accounts.models import Identity, User
from forum.companies.models import Company, Role
from forum.database import utcnow
from forum.errors import NotAllowed
from forum.hooks import Rule, hooks_of
from forum.moderation.models import AWAITING_REVIEW, Appeal, CompanyBan, Review
from forum.threads.models import FORUM_KINDS, Kind, Post, Thread


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


def _sign_in(_user: Any, account: User) -> Decision:
    if not account.is_suspended:
        return ALLOWED
    assert account.suspended_until is not None
    until = account.suspended_until.strftime("%d %B %Y at %H:%M UTC")
    reason = f" Reason: {account.suspension_reason}" if account.suspension_reason else ""
    return refuse(f"Your account is suspended until {until}.{reason}")


def _suspend_user(user: Any, target: User) -> Decision:
    # Admins cannot be suspended from the web: that takes the CLI, on the server.
    return (admin_only(user, "Only site admins suspend accounts.")
            and check(target.id != user.id, "You cannot suspend yourself.")
            and check(not target.is_site_admin,
                      "Site admins are suspended from the command line, on the server."))


def _edit_profile(user: Any, target: User) -> Decision:
    return (signed_in(user, "edit your profile")
            and check(user.id == target.id, "You can only edit your own profile."))


def _unlink_identity(user: Any, identity: Identity) -> Decision:
    # Never the last way in: an account with no password and no other provider would be
    # shut for good (a password reset needs a confirmed address, and proves less).
    return (signed_in(user, "manage how you sign in")
            and check(user.id == identity.user_id, "You can only unlink your own sign-ins.")
            and check(user.has_password or len(user.identities) > 1,
                      "This is the only way into your account. Set a password first, "
                      "then unlink it."))


def _export_own_data(user: Any, target: User) -> Decision:
    return (signed_in(user, "download your data")
            and check(user.id == target.id, "You can only download your own data."))


def _delete_account(user: Any, departure: Departure) -> Decision:
    """People delete their own account; a company must keep an owner, and a site admin's
    rights are given up on the server first (they are granted there)."""
    person = departure.person
    owned = ", ".join(departure.sole_owner_of)
    return (signed_in(user, "delete your account")
            and check(user.id == person.id, "You can only delete your own account.")
            and check(not person.is_site_admin,
                      "Site admins cannot delete their account here: an operator takes "
                      "their admin rights away on the server first.")
            and check(not departure.sole_owner_of,
                      f"You are the only owner of {owned}: make someone else an owner "
                      "first, so the company is not left without one."))


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


# Discussions. Subjects: a Company for company-wide actions, a Thread or a Post otherwise.


def _view_thread(user: Any, thread: Thread) -> Decision:
    """A removed thread stays readable to its moderators and to its author, who is shown
    why and may appeal."""
    return view_company(user, thread.company) and check(
        not thread.is_hidden or has_role(user, thread.company, *MODERATORS)
        or (is_active(user) and user.id == thread.author_id),
        "That thread does not exist, or it was removed.")


def _follow(user: Any, subject: Any) -> Decision:
    """Anyone signed in follows a company, or a thread they may see."""
    decision = signed_in(user, "follow what happens here")
    if decision and isinstance(subject, Thread):
        return _view_thread(user, subject)
    if decision and isinstance(subject, Company):
        return view_company(user, subject)
    return decision


def _start_thread(user: Any, company: Company) -> Decision:
    return (signed_in(user, "start a thread") and view_company(user, company)
            and not_banned(user, company))


def _reply(user: Any, thread: Thread) -> Decision:
    return (signed_in(user, "reply") and view_company(user, thread.company)
            and not_banned(user, thread.company)
            and check(not thread.is_hidden, "This thread was removed; it takes no replies.")
            and check(not thread.is_locked, "This thread is locked: it takes no new replies."))


def _announce(user: Any, thread: Thread) -> Decision:
    # Staff announcements (a status change) are posted even in locked threads.
    return staff(user, thread.company, "Only the company's staff post announcements.")


def _accept_answer(user: Any, thread: Thread) -> Decision:
    return (staff(user, thread.company, "Only the company's staff mark answers.")
            and check(thread.kind == Kind.QUESTION, "Only questions have an accepted answer."))


def _move_thread(user: Any, thread: Thread) -> Decision:
    return (staff(user, thread.company, "Only the company's staff move threads.")
            and check(thread.kind in FORUM_KINDS,
                      "Only forum threads move between categories."))


def _edit_post(user: Any, post: Post) -> Decision:
    decision = signed_in(user, "edit posts") and check(not post.is_hidden,
                                                       "This post was removed.")
    if not decision or has_role(user, post.thread.company, *MODERATORS):
        return decision
    return (check(user.id == post.author_id, "You can only edit your own posts.")
            and view_company(user, post.thread.company)
            and not_banned(user, post.thread.company)
            and check(not post.thread.is_locked,
                      "This thread is locked: its posts can no longer be edited."))


def _delete_post(user: Any, post: Post) -> Decision:
    """Authors remove their own posts; moderators hide others' with a reason (HIDE_POST),
    which the author reads and may appeal."""
    return (signed_in(user, "remove posts")
            and check(not post.is_hidden, "This post was already removed.")
            and check(user.id == post.author_id,
                      "You can only remove your own posts; moderators hide others' posts "
                      "with a reason instead.")
            and check(post.number > 1 or post.thread.reply_count == 0,
                      "Others have replied to this thread, so its opening post stays. "
                      "Edit it instead, or ask a moderator."))


def _view_revisions(user: Any, post: Post) -> Decision:
    return signed_in(user, "see earlier versions") and check(
        user.id == post.author_id or has_role(user, post.thread.company, *STAFF),
        "Only the author and the company's staff see earlier versions.")


# Moderation: flags from anyone signed in, decisions by the company's moderators.


def _flag_post(user: Any, post: Post) -> Decision:
    return (signed_in(user, "flag posts") and view_company(user, post.thread.company)
            and not_banned(user, post.thread.company)
            and check(not post.is_hidden and not post.thread.is_hidden,
                      "This post was removed.")
            and check(user.id != post.author_id,
                      "You cannot flag your own post: edit or remove it instead."))


def _hide_post(user: Any, post: Post) -> Decision:
    return (staff(user, post.thread.company, "Only the company's moderators hide posts.",
                  MODERATORS)
            and check(not post.is_hidden, "This post was already removed."))


def _restore_post(user: Any, post: Post) -> Decision:
    return (staff(user, post.thread.company, "Only the company's moderators restore posts.",
                  MODERATORS)
            and check(post.is_hidden, "This post is not hidden: there is nothing to restore.")
            and check(post.hidden_by_id is None or post.hidden_by_id != post.author_id,
                      "Its author removed this post; only a moderator's removal is undone."))


def _see_hidden_post(user: Any, post: Post) -> Decision:
    """A hidden post's text and full reason: for its author and the moderators."""
    return signed_in(user, "see why this post was removed") and check(
        user.id == post.author_id or has_role(user, post.thread.company, *MODERATORS),
        "Only its author and the company's moderators see a removed post.")


def _appeal(user: Any, post: Post) -> Decision:
    """The author of a post the moderators hid (not one they removed themselves)."""
    return (signed_in(user, "appeal")
            and check(user.id == post.author_id, "Only its author appeals a removal.")
            and view_company(user, post.thread.company)
            and check(post.is_hidden and post.hidden_by_id != post.author_id,
                      "This post is not hidden by a moderator: there is nothing to appeal.")
            and check(post.hidden_category not in AWAITING_REVIEW,
                      "A moderator has yet to review this post; you can appeal once they "
                      "decide."))


def _decide_appeal(user: Any, appeal: Appeal) -> Decision:
    """The company's moderators and the site admins, except whoever hid the post."""
    return (staff(user, appeal.company, "Only the company's moderators decide appeals.",
                  MODERATORS)
            and check(appeal.hidden_by_id is None or user.id != appeal.hidden_by_id,
                      "You hid this post, so another moderator decides its appeal.")
            and check(appeal.is_open, "This appeal was already decided."))


def _review_flags(user: Any, review: Review) -> Decision:
    return (staff(user, review.company, "Only the company's moderators review flags.",
                  MODERATORS)
            and check(review.is_open, "This item was already reviewed."))


def _escalate(user: Any, review: Review) -> Decision:
    """A company's moderators hand a hard case to the site admins; it stays open."""
    return (staff(user, review.company,
                  "Only the company's moderators escalate flagged posts.", MODERATORS)
            and check(review.is_open, "This item was already reviewed."))


def _redact_post(user: Any, post: Post) -> Decision:
    return (staff(user, post.thread.company,
                  "Only the company's moderators edit personal information out of posts.",
                  MODERATORS)
            and check(not post.is_hidden,
                      "This post was removed: restore it before editing it."))


def _view_redacted(user: Any, post: Post) -> Decision:
    """What a moderator edited out is personal information: not even its author reads it
    again (they know what they wrote), so a leak through the history cannot happen."""
    return signed_in(user, "see what was edited out") and check(
        has_role(user, post.thread.company, *MODERATORS),
        "Only the company's moderators see what was edited out of a post.")
def _ban_user(user: Any, standing: Standing) -> Decision:
    company, person = standing.company, standing.person
    return (staff(user, company, "Only the company's moderators ban people from posting.",
                  MODERATORS)
            and check(person.id != user.id, "You cannot ban yourself.")
            and check(not person.is_site_admin, "Site admins cannot be banned from a company.")
            and check(person.role_at(company.id) is None,
                      f"{person.name} is on {company.name}'s staff: staff are not banned. "
                      "Remove their role first if they should not post here."))


def _lift_ban(user: Any, ban: CompanyBan) -> Decision:
    return staff(user, ban.company, "Only the company's moderators lift bans.", MODERATORS)


def _company_rule(reason: str, roles: tuple[Role, ...] = ()) -> Rule:
    """A rule over a Company: its staff (of `roles`) and site admins."""
    return lambda user, company: staff(user, company, reason, roles)


def _thread_rule(reason: str) -> Rule:
    """A rule over a Thread: its company's staff and site admins."""
    return lambda user, thread: staff(user, thread.company, reason)


FORUM_RULES: dict[str, Rule] = {
    Action.SIGN_IN: _sign_in,
    Action.VIEW_ADMIN: lambda user, _none: admin_only(user, "Only site admins see this."),
    Action.CREATE_COMPANY: lambda user, _none: admin_only(
        user, "Only site admins open companies."),
    # A company's space opens on its own request (proved by mail), approved by an admin.
    Action.REQUEST_COMPANY: lambda user, _none: signed_in(
        user, "ask for your company's space"),
    Action.DECIDE_COMPANY_REQUEST: lambda user, _request: admin_only(
        user, "Only site admins decide requests for a company's space."),
    Action.EDIT_COMPANY: _company_rule("Only the company's owners change its settings.",
                                       OWNERS),
    Action.MANAGE_STAFF: _company_rule("Only the company's owners manage its staff.", OWNERS),
    Action.VIEW_MANAGE: _company_rule("Only the company's staff manage it."),
    Action.VIEW_COMPANY: view_company,
    Action.MANAGE_GUESTS: _company_rule(
        "Only the company's owners decide who sees its private space.", OWNERS),
    Action.SUSPEND_USER: _suspend_user,
    Action.EDIT_PROFILE: _edit_profile,
    Action.UNLINK_IDENTITY: _unlink_identity,
    Action.MANAGE_CATEGORIES: _company_rule(
        "Only the company's moderators manage its categories.", MODERATORS),
    Action.START_THREAD: _start_thread,
    Action.VIEW_THREAD: _view_thread,
    Action.REPLY: _reply,
    Action.ANNOUNCE: _announce,
    Action.POST_OFFICIAL: _company_rule("Only the company's staff post as the company."),
    Action.ACCEPT_ANSWER: _accept_answer,
    Action.PIN_THREAD: _thread_rule("Only the company's staff pin threads."),
    Action.LOCK_THREAD: _thread_rule("Only the company's staff lock threads."),
    Action.MOVE_THREAD: _move_thread,
    Action.EDIT_POST: _edit_post,
    Action.DELETE_POST: _delete_post,
    Action.VIEW_REVISIONS: _view_revisions,
    # Staff answer many customers in a row; the flood limits are for everyone else.
    Action.BYPASS_POSTING_LIMITS: _company_rule("Posting limits apply to you."),
    Action.FOLLOW: _follow,
    Action.FLAG_POST: _flag_post,
    Action.MODERATE: _company_rule("Only the company's moderators review flags.", MODERATORS),
    Action.REVIEW_FLAGS: _review_flags,
    Action.HIDE_POST: _hide_post,
    Action.RESTORE_POST: _restore_post,
    Action.SEE_HIDDEN_POST: _see_hidden_post,
    Action.APPEAL: _appeal,
    Action.DECIDE_APPEAL: _decide_appeal,
    Action.ESCALATE: _escalate,
    Action.REDACT_POST: _redact_post,
    Action.VIEW_REDACTED: _view_redacted,
    Action.BAN_USER: _ban_user,
    Action.LIFT_BAN: _lift_ban,
    Action.MANAGE_WATCHED_WORDS: _company_rule(
        "Only the company's moderators manage its watched words.", MODERATORS),
    Action.EXPORT_OWN_DATA: _export_own_data,
    Action.DELETE_ACCOUNT: _delete_account,
    Action.EXPORT_COMPANY: _company_rule("Only the company's owners export its data.", OWNERS),
    # A company token acts as the owner who made it, so only owners make them.
    Action.MANAGE_API_TOKENS: _company_rule("Only the company's owners manage its API tokens.",
                                            OWNERS),
    Action.MANAGE_WEBHOOKS: _company_rule("Only the company's owners manage its webhooks.",
                                          OWNERS),
}
