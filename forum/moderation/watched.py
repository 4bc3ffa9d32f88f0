"""Watched words: what a company does not allow in customers' posts (refused, naming the
word) or checks first (saved hidden, and put in its review queue).

A word matches as a whole word, whatever its case; a phrase matches as that phrase, with
any spacing between its words. Staff are not screened (policy BYPASS_POSTING_LIMITS):
they answer customers, and moderate what they write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import g
from sqlalchemy import delete, select, update

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.moderation.hiding import hide
from forum.moderation.models import HELD, Review, WatchedAction, WatchedWord
from forum.moderation.queries import company_row
from forum.threads.models import Post, Thread

MAX_PHRASE = 100


@dataclass(frozen=True)
class Watched:
    """One watched word, compiled."""

    phrase: str
    action: str
    pattern: re.Pattern[str]


def add_watched_word(actor: User, company: Company, phrase: str | None,
                     action: str | None) -> WatchedWord:
    """A moderator adds a word or phrase the company blocks, or holds for review."""
    policy.require(actor, policy.Action.MANAGE_WATCHED_WORDS, company)
    phrase = " ".join((phrase or "").split()).lower()
    if not phrase:
        raise Invalid("Write the word or phrase to watch for.", field="phrase")
    if len(phrase) > MAX_PHRASE:
        raise Invalid(f"Watched words are at most {MAX_PHRASE} characters "
                      f"({len(phrase)} now).", field="phrase")
    try:
        chosen = WatchedAction(action or "")
    except ValueError:
        raise Invalid("Choose what happens to a post with it: block it, or hold it for "
                      "review.", field="action") from None
    with write_transaction():
        word = db.session.scalar(insert_ignoring_conflicts(WatchedWord).values(
            company_id=company.id, phrase=phrase, action=str(chosen), created_by_id=actor.id,
            created_at=utcnow()).returning(WatchedWord))
        if word is None:
            raise Conflict(f"“{phrase}” is watched already. Remove it first to change what "
                           "it does.", field="phrase")
        record(events.WATCHED_WORD_ADDED, actor, word, company,
               {"phrase": phrase, "action": str(chosen)})
    _forget(company)
    return word


def remove_watched_word(actor: User, word: WatchedWord) -> None:
    """A moderator stops watching for a word; posts it held stay in the queue."""
    company = word.company
    policy.require(actor, policy.Action.MANAGE_WATCHED_WORDS, company)
    with write_transaction():
        removed = db.session.execute(delete(WatchedWord).where(WatchedWord.id == word.id)
                                     .execution_options(synchronize_session=False)).rowcount
        if not removed:
            raise NotFound("That word is not watched any more.")
        record(events.WATCHED_WORD_REMOVED, actor, company, company,
               {"phrase": word.phrase, "action": word.action})
    _forget(company)


def watched_words(company: Company) -> list[WatchedWord]:
    """The company's watched words, in alphabetical order."""
    return list(db.session.scalars(select(WatchedWord).where(
        WatchedWord.company_id == company.id).order_by(WatchedWord.phrase)))


def get_watched_word(company: Company, word_id: int) -> WatchedWord:
    """A watched word of this company (one of another company is not found here)."""
    return company_row(WatchedWord, company, word_id, "That word is not watched here.")


def screen(author: User, company: Company, body: str, title: str | None = None) -> str | None:
    """Raise Invalid, naming the word as written, if the post has a word the company
    blocks; return the first word it holds for review, if any. Staff are not screened."""
    if policy.can(author, policy.Action.BYPASS_POSTING_LIMITS, company):
        return None
    held = None
    for watched in compiled(company):
        for field, text in (("title", title or ""), ("body", body)):
            found = watched.pattern.search(text)
            if found is None:
                continue
            if watched.action == WatchedAction.BLOCK:
                raise Invalid(f"Your post contains “{found.group(0)}”, which {company.name} "
                              "does not allow here. Please rephrase.", field=field)
            held = held or watched.phrase
    return held


def hold(post: Post, phrase: str) -> None:
    """Hide a post that has a held word until a moderator decides, and queue it."""
    hide(post, None, HELD, f"watched word: {phrase}")
    now = utcnow()
    db.session.execute(insert_ignoring_conflicts(Review).values(
        company_id=post.thread.company_id, post_id=post.id, open_flags=0, trusted_flags=0,
        opened_at=now, outcome=""))
    db.session.execute(update(Review).where(Review.post_id == post.id,
                                            Review.closed_at.is_not(None))
                       .values(opened_at=now, closed_at=None, closed_by_id=None, outcome="",
                               open_flags=0, trusted_flags=0)
                       .execution_options(synchronize_session=False))
    db.session.refresh(post)  # the hide was a statement: the caller shows the post as held


def hold_thread(thread: Thread, phrase: str) -> None:
    """Hold a new thread by its opening post (and so the thread with it)."""
    hold(db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1)),
         phrase)


def is_held(post: Post) -> bool:
    return post.is_hidden and post.hidden_category == HELD


def held_notice(reason: str) -> str:
    """What the author of a post held for review is told, plainly."""
    return ("Your post is saved, but it waits for a moderator before anyone else sees it "
            f"({reason}). You will be told when they decide.")


def compiled(company: Company) -> list[Watched]:
    """The company's watched words as patterns, compiled once per request."""
    cache: dict[int, list[Watched]] = g.setdefault("watched_words", {})
    if company.id not in cache:
        cache[company.id] = [
            Watched(phrase, action, re.compile(
                r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)",
                re.IGNORECASE))
            for phrase, action in db.session.execute(
                select(WatchedWord.phrase, WatchedWord.action)
                .where(WatchedWord.company_id == company.id).order_by(WatchedWord.id))]
    return cache[company.id]


def _forget(company: Company) -> None:
    g.get("watched_words", {}).pop(company.id, None)
