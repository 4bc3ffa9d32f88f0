"""What people do with what they follow and hear: follow, unfollow, mute, read."""

from __future__ import annotations

import functools

from sqlalchemy import Select, bindparam, func, select, update

from forum import policy
from forum.accounts.models import User
from forum.companies.access import out_of_sight
from forum.companies.models import Company
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.extensions import db
from forum.notifications.models import COMPANY, THREAD, Notification, Subscription
from forum.threads.models import Thread

FOLLOWING, MUTED, NOT_FOLLOWING = "following", "muted", "not following"


def following(user: User, target: Thread | Company) -> str:
    """Whether `user` follows, has muted or does not follow the thread or company."""
    if not getattr(user, "is_authenticated", False):
        return NOT_FOLLOWING
    muted = db.session.scalar(select(Subscription.muted).where(
        Subscription.user_id == user.id, *_target(target)))
    return NOT_FOLLOWING if muted is None else (MUTED if muted else FOLLOWING)


def set_following(user: User, target: Thread | Company, state: str) -> None:
    """Follow, mute or stop following a thread (or idea) or a company."""
    policy.require(user, policy.Action.FOLLOW, target)
    with write_transaction():
        db.session.execute(Subscription.__table__.delete().where(
            Subscription.user_id == user.id, *_target(target)))
        if state != NOT_FOLLOWING:
            kind, target_id = _kind(target), target.id
            db.session.execute(insert_ignoring_conflicts(Subscription).values(
                user_id=user.id, target_type=kind, target_id=target_id,
                muted=state == MUTED, created_at=utcnow()))


def followed_companies(user: User) -> list[Company]:
    """The companies a person follows (not muted) and may still see, by name."""
    return list(db.session.scalars(
        select(Company).join(Subscription, Subscription.target_id == Company.id)
        .where(Subscription.user_id == user.id, Subscription.target_type == COMPANY,
               Subscription.muted.is_(False), Company.id.not_in(out_of_sight(user)))
        .order_by(func.lower(Company.name))))


def unread_count(user: User) -> int:
    """The bell's number: one indexed count."""
    return int(db.session.scalar(_unread(), {"user_id": user.id}) or 0)


@functools.cache
def _unread() -> Select[tuple[int]]:
    """Built once, with a bind parameter: every signed-in page shows the bell."""
    return select(func.count()).select_from(Notification).where(
        Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark these of the person's own notifications read (all of them when None)."""
    condition = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if notification_ids is not None:
        condition.append(Notification.id.in_(notification_ids))
    with write_transaction():
        result = db.session.execute(update(Notification).where(*condition)
                                    .values(read_at=utcnow()))
    return result.rowcount


def _kind(target: Thread | Company) -> str:
    return THREAD if isinstance(target, Thread) else COMPANY


def _target(target: Thread | Company) -> list:
    return [Subscription.target_type == _kind(target), Subscription.target_id == target.id]
