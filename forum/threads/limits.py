"""Posting limits: a minimum gap between posts, lower daily caps for new accounts, and no
identical text twice within minutes. Staff answering customers are exempt."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow
from forum.errors import TooMany
from forum.extensions import db
from forum.threads.models import Post, Thread


def check_posting_limits(user: User, company: Company, body: str, *, new_thread: bool) -> None:
    """Raise TooMany with a message that says what to do, or return when posting is fine."""
    if policy.can(user, policy.Action.BYPASS_POSTING_LIMITS, company):
        return
    config = current_app.config
    now = utcnow()
    gap = timedelta(seconds=config["POST_MIN_INTERVAL_SECONDS"])
    day_ago = now - timedelta(days=1)
    # One read for both: the last post (only a recent one matters) and today's count.
    last, posts_today = db.session.execute(
        select(func.max(Post.created_at),
               func.count(case((Post.created_at >= day_ago, 1))))
        .where(Post.author_id == user.id, Post.created_at >= min(day_ago, now - gap))
    ).one()
    if last is not None and now - last < gap:
        wait = int((gap - (now - last)).total_seconds()) + 1
        raise TooMany(f"You are posting very quickly. Please wait {wait} seconds and try again.")
    _check_duplicate(user, body, now - timedelta(minutes=config["DUPLICATE_POST_MINUTES"]))
    _check_daily_caps(user, now, posts_today or 0, new_thread=new_thread)


def _check_duplicate(user: User, body: str, since: datetime) -> None:
    recent = db.session.scalars(
        select(Post.body_source).where(Post.author_id == user.id, Post.created_at >= since)
        .order_by(Post.created_at.desc()).limit(20)
    )
    if any(previous.strip() == body.strip() for previous in recent):
        raise TooMany("You posted exactly this a few minutes ago. Edit that post instead, "
                      "or say something new.")


def _check_daily_caps(user: User, now: datetime, posts_today: int, *,
                      new_thread: bool) -> None:
    config = current_app.config
    day_ago = now - timedelta(days=1)
    is_new = user.created_at > now - timedelta(hours=config["NEW_ACCOUNT_HOURS"])
    cap = config["NEW_ACCOUNT_POSTS_PER_DAY"] if is_new else config["POSTS_PER_DAY"]
    if posts_today >= cap:
        who = "New accounts" if is_new else "Everyone"
        raise TooMany(f"{who} can post {cap} times a day. Please come back tomorrow.")
    if new_thread and is_new:
        threads_today = db.session.scalar(
            select(func.count()).select_from(Thread)
            .where(Thread.author_id == user.id, Thread.created_at >= day_ago)
        ) or 0
        if threads_today >= config["NEW_ACCOUNT_THREADS_PER_DAY"]:
            raise TooMany(
                f"New accounts can start {config['NEW_ACCOUNT_THREADS_PER_DAY']} threads on "
                "their first day. Reply to an existing thread, or come back tomorrow."
            )
