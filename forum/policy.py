"""Who may do what: one predicate per decision, asked by services, views and templates.

No role check is written anywhere else. Each predicate takes the actor (possibly the
anonymous user) and the thing acted on, and answers True or False; `require` turns a
False into the NotAllowed error services raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forum.accounts.models import User
from forum.companies.models import Company, Role
from forum.errors import NotAllowed

Predicate = Callable[[Any, Any], bool]
_RULES: dict[str, Predicate] = {}


def rule(action: str) -> Callable[[Predicate], Predicate]:
    """Register the predicate that decides `action`."""

    def register(predicate: Predicate) -> Predicate:
        _RULES[action] = predicate
        return predicate

    return register


def actions() -> list[str]:
    """Every action the policy knows, for the table-driven tests."""
    return sorted(_RULES)


def can(user: Any, action: str, target: Any = None) -> bool:
    """May `user` do `action` to `target`? Unknown actions are refused loudly."""
    try:
        predicate = _RULES[action]
    except KeyError:
        raise LookupError(f"policy has no rule for {action!r}") from None
    return predicate(user, target)


def require(user: Any, action: str, target: Any = None, message: str | None = None) -> None:
    """Raise NotAllowed unless `can(user, action, target)`."""
    if not can(user, action, target):
        raise NotAllowed(message or "You don't have permission to do that.")


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


STAFF = (Role.TEAM, Role.MODERATOR, Role.OWNER)
MODERATORS = (Role.MODERATOR, Role.OWNER)


@rule("view_admin")
def _view_admin(user: Any, _target: Any) -> bool:
    return is_admin(user)


@rule("create_company")
def _create_company(user: Any, _target: Any) -> bool:
    return is_admin(user)


@rule("edit_company")
def _edit_company(user: Any, company: Company) -> bool:
    return has_role(user, company, Role.OWNER)


@rule("manage_staff")
def _manage_staff(user: Any, company: Company) -> bool:
    return has_role(user, company, Role.OWNER)


@rule("view_manage")
def _view_manage(user: Any, company: Company) -> bool:
    return has_role(user, company, *STAFF)


@rule("suspend_user")
def _suspend_user(user: Any, target: User) -> bool:
    # Admins cannot be suspended from the web: that takes the CLI, on the server.
    return is_admin(user) and target.id != user.id and not target.is_site_admin


@rule("edit_profile")
def _edit_profile(user: Any, target: User) -> bool:
    return is_active(user) and user.id == target.id


# Discussions. Targets: a Company for company-wide actions, a Thread or a Post otherwise.


def _company_of(target: Any) -> Company:
    """The company a thread or post belongs to."""
    thread = getattr(target, "thread", None) or target
    return thread.company


@rule("manage_categories")
def _manage_categories(user: Any, company: Company) -> bool:
    return has_role(user, company, *MODERATORS)


@rule("start_thread")
def _start_thread(user: Any, _company: Company) -> bool:
    return is_active(user)


@rule("view_thread")
def _view_thread(user: Any, thread: Any) -> bool:
    return not thread.is_hidden or has_role(user, thread.company, *MODERATORS)


@rule("reply")
def _reply(user: Any, thread: Any) -> bool:
    return is_active(user) and not thread.is_locked and not thread.is_hidden


@rule("post_official")
def _post_official(user: Any, company: Company) -> bool:
    return has_role(user, company, *STAFF)


@rule("accept_answer")
def _accept_answer(user: Any, thread: Any) -> bool:
    return thread.kind == "question" and has_role(user, thread.company, *STAFF)


@rule("pin_thread")
def _pin_thread(user: Any, thread: Any) -> bool:
    return has_role(user, thread.company, *STAFF)


@rule("lock_thread")
def _lock_thread(user: Any, thread: Any) -> bool:
    return has_role(user, thread.company, *STAFF)


@rule("move_thread")
def _move_thread(user: Any, thread: Any) -> bool:
    return thread.kind != "idea" and has_role(user, thread.company, *STAFF)


@rule("edit_post")
def _edit_post(user: Any, post: Any) -> bool:
    if post.is_hidden or not is_active(user):
        return False
    own = user.id == post.author_id and not post.thread.is_locked
    return own or has_role(user, _company_of(post), *MODERATORS)


@rule("delete_post")
def _delete_post(user: Any, post: Any) -> bool:
    if post.is_hidden or not is_active(user):
        return False
    return user.id == post.author_id or has_role(user, _company_of(post), *MODERATORS)


@rule("view_revisions")
def _view_revisions(user: Any, post: Any) -> bool:
    if not is_active(user):
        return False
    return user.id == post.author_id or has_role(user, _company_of(post), *STAFF)


@rule("bypass_posting_limits")
def _bypass_posting_limits(user: Any, company: Company) -> bool:
    # Staff answer many customers in a row; the flood limits are for everyone else.
    return has_role(user, company, *STAFF)


# Ideas. The ideas package asks these; targets are duck-typed (an idea has .company,
# .thread and .is_closed) so that this module never imports ideas.


@rule("propose_idea")
def _propose_idea(user: Any, _company: Company) -> bool:
    return is_active(user)


@rule("vote")
def _vote(user: Any, idea: Any) -> bool:
    return is_active(user) and not idea.is_closed and not idea.thread.is_hidden


@rule("change_status")
def _change_status(user: Any, idea: Any) -> bool:
    return has_role(user, idea.company, *STAFF)


@rule("merge_idea")
def _merge_idea(user: Any, idea: Any) -> bool:
    return has_role(user, idea.company, *STAFF)


@rule("tag_idea")
def _tag_idea(user: Any, idea: Any) -> bool:
    return has_role(user, idea.company, *STAFF)


@rule("manage_tags")
def _manage_tags(user: Any, company: Company) -> bool:
    return has_role(user, company, *STAFF)
