"""Rules about moderation: flags from anyone signed in; decisions, appeals, redactions
and bans by the company's moderators and the site admins."""

from __future__ import annotations

from typing import Any

from forum.hooks import Rule
from forum.moderation.models import AWAITING_REVIEW, Appeal, CompanyBan, Review
from forum.policy import (
    MODERATORS,
    Action,
    Decision,
    Standing,
    check,
    company_rule,
    has_role,
    not_banned,
    signed_in,
    staff,
    view_company,
)
from forum.threads.models import Post


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



MODERATION_RULES: dict[str, Rule] = {
    Action.FLAG_POST: _flag_post,
    Action.MODERATE: company_rule("Only the company's moderators review flags.", MODERATORS),
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
    Action.MANAGE_WATCHED_WORDS: company_rule(
        "Only the company's moderators manage its watched words.", MODERATORS),
}
