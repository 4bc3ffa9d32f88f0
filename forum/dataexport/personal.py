"""The personal export: everything one person wrote and did, as JSON files in a zip.

Their own words are theirs wherever they wrote them, private spaces included; what
others wrote is never in it, and of a private space they no longer see only ids appear
(no company name, no title someone else wrote).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select

from forum.accounts.models import User, UserSession
from forum.companies.models import Company, CompanyGuest, Membership
from forum.dataexport.archive import Entry, json_array, keyset, stream_zip
from forum.events.models import Event
from forum.hooks import PersonalFile, hooks_of
from forum.mail.models import MailPreference
from forum.moderation.models import Appeal, Flag
from forum.notifications.models import COMPANY, THREAD, Notification, Subscription
from forum.threads.models import Post, Revision, Thread

Record = dict[str, Any]

README = """Your data from {site}, as of {date}.

Every file is JSON (UTF-8). Dates are in UTC. What others wrote is not included; of a
private space you no longer see, only ids are (no names or titles others wrote).

profile.json  your account: names, addresses, settings, roles and guest passes
              (never your password, nor the keys of your sessions)
{files}
"""


def archive(engine: Engine, user: User, unseen: frozenset[int], site: str,
            date: str) -> Iterator[bytes]:
    """The zip, in chunks, for `user` (read now) and their files (read as it streams)."""
    files = hooks_of().personal_files
    listing = "\n".join(f"{file.name:<13} {file.description}" for file in files)
    readme = README.format(site=site, date=date, files=listing)
    user_id = user.id
    entries: list[Entry] = [("README.txt", lambda _connection: [readme]),
                            ("profile.json", lambda connection: json_array(
                                [profile(connection, user_id)]))]
    entries += [(file.name, _records(file, user_id, unseen)) for file in files]
    return stream_zip(engine, entries)


def _records(file: PersonalFile, user_id: int, unseen: frozenset[int]) -> Any:
    return lambda connection: json_array(file.records(connection, user_id, unseen))


def profile(connection: Connection, user_id: int) -> Record:
    """The account row without its secrets, with roles, guest passes and mail settings."""
    user = connection.execute(select(
        User.id, User.username, User.display_name, User.bio, User.email,
        User.email_confirmed_at, User.pending_email, User.timezone, User.digest_hour,
        User.created_at, User.is_site_admin, User.suspended_until, User.suspension_reason,
    ).where(User.id == user_id)).one()
    roles = connection.execute(select(Company.slug, Membership.role).join(
        Membership, Membership.company_id == Company.id).where(Membership.user_id == user_id))
    guest = connection.scalars(select(Company.slug).join(
        CompanyGuest, CompanyGuest.company_id == Company.id).where(
        CompanyGuest.user_id == user_id))
    mail = connection.execute(select(MailPreference.kind, MailPreference.delivery).where(
        MailPreference.user_id == user_id))
    return {**user._asdict(), "roles": {slug: role for slug, role in roles},
            "guest_of": list(guest), "mail": {kind: how for kind, how in mail}}


def posts(connection: Connection, user_id: int, unseen: frozenset[int]) -> Iterator[Record]:
    """Every post they wrote, removed ones too, each with its earlier versions (except
    what a moderator edited out as personal information)."""
    statement = select(
        Post.id, Post.thread_id, Thread.title, Thread.author_id.label("thread_author"),
        Thread.company_id, Company.slug, Post.number, Post.kind, Post.official,
        Post.body_source, Post.created_at, Post.edited_at, Post.hidden_at, Post.hidden_reason,
    ).join(Thread, Thread.id == Post.thread_id).join(Company, Company.id == Thread.company_id
                                                     ).where(Post.author_id == user_id)
    for batch in keyset(connection, statement, Post.id):
        revisions: dict[int, list[Record]] = {}
        for revision in connection.execute(
                select(Revision.post_id, Revision.created_at, Revision.body_source,
                       Revision.editor_id).where(Revision.post_id.in_([row.id for row in batch]),
                                                 Revision.moderators_only.is_(False))
                .order_by(Revision.id)):
            revisions.setdefault(revision.post_id, []).append(
                {"saved_at": revision.created_at, "body": revision.body_source,
                 "edited_by_you": revision.editor_id == user_id})
        for row in batch:
            seen = row.company_id not in unseen
            yield {"id": row.id, "thread_id": row.thread_id,
                   "thread_title": row.title if seen or row.thread_author == user_id else None,
                   "company": row.slug if seen else None, "number": row.number,
                   "kind": row.kind, "official": row.official, "body": row.body_source,
                   "created_at": row.created_at, "edited_at": row.edited_at,
                   "removed_at": row.hidden_at, "removal_reason": row.hidden_reason or None,
                   "revisions": revisions.get(row.id, [])}


def follows(connection: Connection, user_id: int, unseen: frozenset[int]
            ) -> Iterator[Record]:
    """What they follow or muted: companies and threads (ideas are threads)."""
    statement = select(Subscription.id, Subscription.target_type, Subscription.target_id,
                       Subscription.muted, Subscription.created_at).where(
        Subscription.user_id == user_id)
    for batch in keyset(connection, statement, Subscription.id):
        names = _names(connection, batch, unseen)
        for row in batch:
            yield {"follows": row.target_type, "id": row.target_id,
                   "name": names.get((row.target_type, row.target_id)),
                   "muted": row.muted, "since": row.created_at}


def _names(connection: Connection, batch: Any, unseen: frozenset[int]
           ) -> Mapping[tuple[str, int], str]:
    """The companies' slugs and threads' titles of a batch of follows, those they see."""
    ids = {kind: [row.target_id for row in batch if row.target_type == kind]
           for kind in (COMPANY, THREAD)}
    found: dict[tuple[str, int], str] = {}
    for company_id, slug in connection.execute(
            select(Company.id, Company.slug).where(Company.id.in_(ids[COMPANY]))):
        if company_id not in unseen:
            found[(COMPANY, company_id)] = slug
    for thread_id, title, company_id in connection.execute(
            select(Thread.id, Thread.title, Thread.company_id).where(
                Thread.id.in_(ids[THREAD]))):
        if company_id not in unseen:
            found[(THREAD, thread_id)] = title
    return found


def notifications(connection: Connection, user_id: int, unseen: frozenset[int]
                  ) -> Iterator[Record]:
    """What they were told of: the kind of event, when, and where (if they still see it)."""
    statement = select(Notification.id, Notification.reason, Notification.created_at,
                       Notification.read_at, Event.type, Event.thread_id,
                       Event.company_id).join(Event, Event.id == Notification.event_id).where(
        Notification.user_id == user_id)
    for batch in keyset(connection, statement, Notification.id):
        for row in batch:
            seen = row.company_id not in unseen
            yield {"id": row.id, "event": row.type, "reason": row.reason,
                   "thread_id": row.thread_id if seen else None,
                   "created_at": row.created_at, "read_at": row.read_at}


def flags(connection: Connection, user_id: int, _unseen: frozenset[int]) -> Iterator[Record]:
    """The posts they reported, and why."""
    statement = select(Flag.id, Flag.post_id, Flag.reason, Flag.note, Flag.created_at,
                       Flag.resolved_at).where(Flag.user_id == user_id)
    for batch in keyset(connection, statement, Flag.id):
        yield from (row._asdict() for row in batch)


def appeals(connection: Connection, user_id: int, _unseen: frozenset[int]
            ) -> Iterator[Record]:
    """Their appeals against removals of their posts, and the decisions."""
    statement = select(Appeal.id, Appeal.post_id, Appeal.text, Appeal.created_at,
                       Appeal.decided_at, Appeal.outcome, Appeal.decision_note).where(
        Appeal.author_id == user_id)
    for batch in keyset(connection, statement, Appeal.id):
        yield from (row._asdict() for row in batch)


def sessions(connection: Connection, user_id: int, _unseen: frozenset[int]
             ) -> Iterator[Record]:
    """The browsers they signed in from (never the keys that open them)."""
    statement = select(UserSession.id, UserSession.user_agent, UserSession.ip_address,
                       UserSession.remember, UserSession.created_at, UserSession.last_seen_at,
                       UserSession.ended_at).where(UserSession.user_id == user_id)
    for batch in keyset(connection, statement, UserSession.id):
        yield from (row._asdict() for row in batch)


FORUM_FILES = [
    PersonalFile("posts.json", "every post you wrote (removed ones too), with earlier "
                 "versions", posts),
    PersonalFile("follows.json", "the companies and threads you follow or muted", follows),
    PersonalFile("notifications.json", "what you were notified of", notifications),
    PersonalFile("flags.json", "the posts you reported", flags),
    PersonalFile("appeals.json", "your appeals against removals, and their outcomes",
                 appeals),
    PersonalFile("sessions.json", "where and when you signed in", sessions),
]
