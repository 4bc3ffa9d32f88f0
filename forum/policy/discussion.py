"""Rules about discussions. Subjects: a Company for company-wide actions, a Thread or a
Post otherwise."""

from __future__ import annotations

from typing import Any

from forum.companies.models import Company
from forum.hooks import Rule
from forum.policy import (
    MODERATORS,
    STAFF,
    Action,
    Decision,
    check,
    company_rule,
    has_role,
    is_active,
    not_banned,
    signed_in,
    staff,
    thread_rule,
    view_company,
)
from forum.threads.models import FORUM_KINDS, Kind, Post, Thread


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



DISCUSSION_RULES: dict[str, Rule] = {
    Action.MANAGE_CATEGORIES: company_rule(
        "Only the company's moderators manage its categories.", MODERATORS),
    Action.START_THREAD: _start_thread,
    Action.VIEW_THREAD: _view_thread,
    Action.REPLY: _reply,
    Action.ANNOUNCE: _announce,
    Action.POST_OFFICIAL: company_rule("Only the company's staff post as the company."),
    Action.ACCEPT_ANSWER: _accept_answer,
    Action.PIN_THREAD: thread_rule("Only the company's staff pin threads."),
    Action.LOCK_THREAD: thread_rule("Only the company's staff lock threads."),
    Action.MOVE_THREAD: _move_thread,
    Action.EDIT_POST: _edit_post,
    Action.DELETE_POST: _delete_post,
    Action.VIEW_REVISIONS: _view_revisions,
    # Staff answer many customers in a row; the flood limits are for everyone else.
    Action.BYPASS_POSTING_LIMITS: company_rule("Posting limits apply to you."),
    Action.FOLLOW: _follow,
}
