"""Moderation fixtures: a company with a moderator, a thread with a reply to flag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow
from forum.extensions import db
from forum.threads.models import Post, Thread


@dataclass
class Scene:
    company: Company
    moderator: User
    author: User
    thread: Thread
    reply: Post


def veteran(user: User) -> User:
    """An account old enough, with a visible post elsewhere, for its flags to be trusted."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(created_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    return user


@pytest.fixture
def scene(make_company, make_staff, make_user, make_thread, make_reply) -> Scene:
    company = make_company("acme")
    moderator = make_staff(company, "moderator", "mona")
    author = make_user("troll")
    thread = make_thread(company, author=make_user("asker"), title="Where is the filter?")
    reply = make_reply(thread, author=author, body="Buy cheap watches at example.com")
    return Scene(company, moderator, author, thread, reply)


@pytest.fixture
def trusted_flagger(make_user, make_thread, scene) -> Callable[[str], User]:
    """A trusted account: old, not suspended, with a visible post."""

    def make(username: str) -> User:
        user = make_user(username)
        make_thread(scene.company, author=user, title=f"A question from {username}")
        return veteran(user)

    return make


def thread_url(thread: Thread, suffix: str = "") -> str:
    return f"/c/{thread.company.slug}/t/{thread.id}{suffix}"


def thread_page(thread: Thread) -> str:
    return thread_url(thread, f"-{thread.slug}")


def post_path(post: Post, action: str) -> str:
    return thread_url(post.thread, f"/posts/{post.id}/{action}")
