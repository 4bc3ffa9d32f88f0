"""Writing an import's plan: in bulk, a thousand ideas a statement, in one transaction.

Each batch of ideas costs a fixed number of statements (threads, posts, ideas, tags,
votes, the priority scores, one event), whatever its size. The event, `ideas.imported`,
names the batch's threads: the search index and the kept pages follow it as they follow
any event; no notification or mail is made of it (it has no notification text), so an
import of 100,000 ideas tells nobody 100,000 times.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text

from forum import content, policy
from forum.accounts.invitations import NO_PASSWORD, free_username, username_stem
from forum.accounts.models import User
from forum.database import utcnow, write_transaction
from forum.errors import Invalid
from forum.events.log import record
from forum.extensions import db
from forum.threads import posting
from forum.threads.models import Kind, Post, PostKind, State, Thread
from ideas import events, priority
from ideas.importing.formats import CommentDraft, IdeaDraft
from ideas.importing.planning import CHUNK, Plan, chunks, voters_of
from ideas.models import Category, Idea, IdeaTag, Tag, Vote
from ideas.policy import IdeaAction
from ideas.services import tag_slug
from ideas.votes import vote_weight

SPARE_NUMBERS = 10  # usernames tried beyond one a new account, before asking one by one


@dataclass(frozen=True)
class Summary:
    """What an import made."""

    ideas: int
    votes: int
    comments: int
    invited: int
    matched: int
    tags: int

    def sentence(self) -> str:
        return (f"Imported {self.ideas:,} ideas with {self.votes:,} votes and "
                f"{self.comments:,} comments; {self.matched:,} existing accounts matched, "
                f"{self.invited:,} invited accounts made, {self.tags:,} tags added.")


def import_plan(actor: User, plan: Plan,
                progress: Callable[[int], object] = lambda done: None) -> Summary:
    """Write the plan, all of it or (with any wrong row) nothing."""
    policy.require(actor, IdeaAction.IMPORT_IDEAS, plan.company)
    if not plan.ok:
        raise Invalid(f"{len(plan.errors):,} rows are wrong: nothing was imported. Correct "
                      "them and upload the file again.", field="file")
    with write_transaction():
        now = utcnow()
        new_tags = _add_tags(plan)
        invited = _invite(plan, now)
        for batch in chunks(plan.ideas, CHUNK):
            _write_batch(actor, plan, batch, now)  # type: ignore[arg-type]
            progress(len(batch))
    return Summary(len(plan.ideas), plan.vote_count, plan.comment_count, invited,
                   plan.matched, new_tags)


def _add_tags(plan: Plan) -> int:
    new = [slug for slug, found in plan.tags.items() if found is None]
    if new:
        rows = [{"company_id": plan.company.id, "slug": slug, "name": plan.tag_names[slug]}
                for slug in new]
        plan.tags.update(zip(new, _insert(Tag, rows), strict=True))
    return len(new)


def _invite(plan: Plan, now: datetime) -> int:
    """Invited accounts for the addresses no account has: made in bulk, mailed nothing
    (they claim them through "forgot password" or a later invitation)."""
    for chunk in chunks(plan.new_addresses):
        names = _usernames(chunk)
        given = [(address, name) for address, name in zip(chunk, names, strict=True) if name]
        rows = [{"username": name, "pending_email": address, "password_hash": NO_PASSWORD,
                 "invited_at": now, "created_at": now} for address, name in given]
        if rows:
            plan.accounts.update(zip((address for address, _ in given), _insert(User, rows),
                                     strict=True))
        for address, name in zip(chunk, names, strict=True):
            if not name:  # every number near its stem taken: one query each
                db.session.execute(insert(User.__table__).values(
                    username=free_username(address), pending_email=address,
                    password_hash=NO_PASSWORD, invited_at=now, created_at=now))
                plan.accounts[address] = db.session.scalar(
                    select(func.max(User.id)).where(User.pending_email == address)) or 0
    return len(plan.new_addresses)


def _usernames(addresses: Sequence[str]) -> list[str]:
    """A free username for each address ("" where none was found near its stem), with one
    query for the lot."""
    stems = [username_stem(address) for address in addresses]
    wanted = Counter(stem.lower() for stem in stems)
    candidates = {stem.lower(): [stem, *(f"{stem}{number}" for number in
                                         range(2, wanted[stem.lower()] + SPARE_NUMBERS))]
                  for stem in stems}
    every = [name.lower() for names in candidates.values() for name in names]
    taken = set()
    for chunk in chunks(every):
        taken.update(db.session.scalars(select(func.lower(User.username)).where(
            func.lower(User.username).in_(chunk))))
    names = []
    for stem in stems:
        name = next((name for name in candidates[stem.lower()] if name.lower() not in taken), "")
        taken.add(name.lower())
        names.append(name)
    return names


def _write_batch(actor: User, plan: Plan, batch: Sequence[IdeaDraft], now: datetime) -> None:
    company = plan.company
    threads = [_thread_row(actor, plan, idea, now) for idea in batch]
    thread_ids = _insert(Thread, threads)
    posts, ideas = [], []
    for idea, thread_id, thread in zip(batch, thread_ids, threads, strict=True):
        posts.extend(_post_rows(actor, plan, idea, thread_id, thread["created_at"], now))
        status = plan.statuses[idea.line]
        voters = voters_of(idea)
        ideas.append({
            "thread_id": thread_id, "company_id": company.id, "status": status.key,
            "status_category": status.category, "vote_count": len(voters),
            "trend_score": len(voters) * vote_weight(thread["created_at"]),
            "created_at": thread["created_at"], "triaged_at": now,
            "status_changed_at": (None if status.category == Category.OPEN.value
                                   else thread["created_at"])})
    db.session.execute(insert(Post.__table__), posts)
    idea_ids = _insert(Idea, ideas)
    tags = [{"idea_id": idea_id, "tag_id": plan.tags[slug]}
            for idea, idea_id in zip(batch, idea_ids, strict=True)
            for slug in dict.fromkeys(_slugs(plan, idea))]
    if tags:
        db.session.execute(insert(IdeaTag.__table__), tags)
    votes = [{"user_id": plan.accounts[address], "idea_id": idea_id,
              "weight": vote_weight(row["created_at"]), "created_at": row["created_at"],
              "recorded_by_id": actor.id}
             for idea, idea_id, row in zip(batch, idea_ids, ideas, strict=True)
             for address in voters_of(idea)]
    if votes:
        db.session.execute(insert(Vote.__table__), votes)
        priority.refresh(Idea.id.in_(idea_ids))
    record(events.IDEAS_IMPORTED, actor, company, company,
           {"thread_ids": list(thread_ids), "ideas": len(batch), "votes": len(votes),
            "comments": len(posts) - len(batch), "format": plan.parsed.format.value})


def _insert(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in one executemany and return their ids, in order. The ids are
    taken first, as the database would give them (INSERT ... RETURNING of many rows comes
    back in order only row by row on SQLite): PostgreSQL's sequence hands them out, and
    on SQLite this transaction holds the only write lock, so the next ids are free."""
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :count)"), {"table": table.name, "count": len(rows)}))
    else:
        start = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(start, start + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    db.session.execute(insert(table), rows)
    return ids


def _slugs(plan: Plan, idea: IdeaDraft) -> list[str]:
    return [tag_slug(name) for name in idea.tags]


def _author(actor: User, plan: Plan, address: str | None) -> int:
    return plan.accounts[address] if address else actor.id


def _ordered(idea: IdeaDraft, created: datetime, now: datetime) -> list[tuple[datetime,
                                                                              CommentDraft]]:
    """The idea's comments by date; one without a date is as of the import."""
    return sorted(((comment.created_at or now, comment) for comment in idea.comments),
                  key=lambda item: (item[0], item[1].line))


def _thread_row(actor: User, plan: Plan, idea: IdeaDraft, now: datetime) -> dict[str, Any]:
    created = idea.created_at or now
    author = _author(actor, plan, idea.author_email)
    comments = _ordered(idea, created, now)
    last_at, last = comments[-1] if comments else (created, None)
    answered = next((at for at, comment in comments if comment.official), None)
    return {"company_id": plan.company.id, "category_id": None, "author_id": author,
            "kind": Kind.IDEA.value, "title": idea.title, "slug": posting.slugify(idea.title),
            "state": State.OPEN.value, "pinned": False, "reply_count": len(comments),
            "post_count": 1 + len(comments), "created_at": created,
            "last_posted_at": max(created, last_at),
            "last_poster_id": _author(actor, plan, last.author_email) if last else author,
            "answered_at": answered, "hidden_reason": ""}


def _post_rows(actor: User, plan: Plan, idea: IdeaDraft, thread_id: int, created: datetime,
               now: datetime) -> list[dict[str, Any]]:
    """The opening post and the comments, numbered by date. Imported text is rendered
    without resolving @names: they named people of the other tool, not ours."""
    opening = {"thread_id": thread_id, "number": 1, "body_source": idea.body,
               "author_id": _author(actor, plan, idea.author_email), "official": False,
               "created_at": created}
    rows = [opening] + [
        {"thread_id": thread_id, "number": number, "body_source": comment.body,
         "author_id": _author(actor, plan, comment.author_email), "official": comment.official,
         "created_at": max(at, created)}
        for number, (at, comment) in enumerate(_ordered(idea, created, now), 2)]
    for row in rows:
        row.update(body_html=content.render(row["body_source"]).html,
                   kind=PostKind.REPLY.value, revision_count=0, hidden_reason="",
                   hidden_category="")
    return rows
