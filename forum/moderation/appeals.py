"""Appeals: the author of a hidden post asks once for it back, and a moderator other than
the one who hid it decides, with a reason the author reads.

An appeal goes to the company's moderator (or owner) with the fewest open appeals, never
the one who hid the post; when there is no such person it goes to the site admins. Any
moderator but the one who hid the post, and any site admin, may decide it: the assignee is
who is asked, not the only one who may answer.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Membership
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.moderation.hiding import check_note, close_review, log_action, restore
from forum.moderation.models import Appeal, ModerationAction, Outcome
from forum.threads.models import Post

MAX_APPEAL = 1000
DECISIONS = (Outcome.RESTORE, Outcome.UPHOLD)


def file_appeal(author: User, post: Post, text: str | None) -> Appeal:
    """The author asks for their hidden post back, saying why; once per hide."""
    policy.require(author, policy.Action.APPEAL, post)
    text = (text or "").strip()
    if not text:
        raise Invalid("Say why the post should come back: the moderator reads this.",
                      field="text")
    if len(text) > MAX_APPEAL:
        raise Invalid(f"Appeals are at most {MAX_APPEAL} characters ({len(text)} now).",
                      field="text")
    with write_transaction():
        hide = latest_hide(post)
        if hide is None:
            raise Conflict("This post is not hidden by a moderator: there is nothing to "
                           "appeal.")
        company_id = post.thread.company_id
        appeal = db.session.scalar(
            insert_ignoring_conflicts(Appeal).values(
                company_id=company_id, post_id=post.id, action_id=hide.id,
                author_id=author.id, hidden_by_id=hide.actor_id,
                assignee_id=_assignee(company_id, hide.actor_id), text=text,
                created_at=utcnow(), outcome="", decision_note="")
            .returning(Appeal))
        if appeal is None:
            raise Conflict("You appealed this removal already; a moderator will decide.")
        record(events.APPEAL_FILED, author, appeal, company_id,
               {"post_id": post.id, "number": post.number,
                "assignee_id": appeal.assignee_id})
    return appeal


def decide_appeal(actor: User, appeal: Appeal, outcome: str | None, note: str | None) -> None:
    """Restore the post, or uphold its hide; either way the author reads why."""
    policy.require(actor, policy.Action.DECIDE_APPEAL, appeal)
    try:
        chosen = Outcome(outcome or "")
    except ValueError:
        chosen = None
    if chosen not in DECISIONS:
        raise Invalid("Choose to restore the post or to keep it hidden.", field="outcome")
    note = check_note(note, required=True)
    post = appeal.post
    with write_transaction():
        decided = db.session.execute(
            update(Appeal).where(Appeal.id == appeal.id, Appeal.decided_at.is_(None))
            .values(decided_at=utcnow(), decided_by_id=actor.id, outcome=str(chosen),
                    decision_note=note)
            .execution_options(synchronize_session=False)).rowcount
        if not decided:
            raise Conflict("This appeal was already decided.")
        if chosen == Outcome.RESTORE:
            if not restore(post, actor, note, {"appeal_id": appeal.id}):
                raise Conflict("This post is not hidden any more: there is nothing to "
                               "restore.")
            close_review(post, actor, Outcome.RESTORE)
        else:
            log_action(post, actor, Outcome.UPHOLD, "", note)
        record(events.APPEAL_DECIDED, actor, appeal, appeal.company_id,
               {"post_id": post.id, "number": post.number, "outcome": str(chosen),
                "reason": note})
    db.session.refresh(appeal)


def latest_hide(post: Post) -> ModerationAction | None:
    """The moderators' hide the post is hidden by now, if it is hidden by them."""
    if not post.is_hidden or post.hidden_by_id == post.author_id:
        return None
    return db.session.scalar(
        select(ModerationAction)
        .where(ModerationAction.post_id == post.id, ModerationAction.action == Outcome.HIDE)
        .order_by(ModerationAction.id.desc()).limit(1))


def _assignee(company_id: int, hidden_by_id: int | None) -> int | None:
    """The company's moderator or owner with the fewest open appeals (the longest-serving
    first among equals), never the one who hid the post; None: the site admins."""
    open_appeals = (
        select(func.count()).select_from(Appeal)
        .where(Appeal.assignee_id == Membership.user_id, Appeal.decided_at.is_(None))
        .scalar_subquery())
    candidates = (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.company_id == company_id,
               Membership.role.in_([role.value for role in policy.MODERATORS]),
               (User.suspended_until.is_(None)) | (User.suspended_until <= utcnow()))
        .order_by(open_appeals, Membership.id).limit(1))
    if hidden_by_id is not None:
        candidates = candidates.where(Membership.user_id != hidden_by_id)
    return db.session.scalar(candidates)
