"""A company's export for its owners: its threads, posts (and, from plug-ins, ideas,
votes and tags) as CSV files in a zip, streamed in keyset batches.

Hidden threads and posts are included, with the date they were hidden and why (the
owners moderate them and see them anyway); authors appear by username, never by
address, and a deleted account as "deleted account".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, case, select
from sqlalchemy.orm import aliased

from forum.accounts.models import User
from forum.dataexport.archive import BATCH, Entry, csv_text, keyset, stream_zip
from forum.hooks import CompanyFile, hooks_of
from forum.threads.models import Category, Post, Thread

DELETED = "deleted account"
README = """{company}'s data on {site}, as of {date}.

Every file is CSV in UTF-8 with a byte order mark (so that Excel reads it), with a
header row. Dates are in UTC. People appear by username, never by address; a deleted
account as "deleted account". Hidden threads and posts are included: their "hidden"
column holds the date they were hidden. A cell that starts with =, +, -, @, a tab or a
carriage return is written with a ' in front, so that no spreadsheet runs it as a
formula.

{files}
"""


def username(user: Any = User) -> Any:
    """A person as exports name them: the username, or "deleted account"."""
    return case((user.deleted_at.is_not(None), DELETED), else_=user.username)


def archive(engine: Engine, company_id: int, name: str, site: str, date: str
            ) -> Iterator[bytes]:
    """The zip, in chunks, of every file registered for company exports."""
    files = hooks_of().company_files
    listing = "\n".join(f"{file.name}: {file.description}\n    columns: "
                        f"{', '.join(file.columns)}" for file in files)
    readme = README.format(company=name, site=site, date=date, files=listing)
    entries: list[Entry] = [("README.txt", lambda _connection: [readme])]
    entries += [(file.name, _rows(file, company_id)) for file in files]
    return stream_zip(engine, entries)


def _rows(file: CompanyFile, company_id: int) -> Any:
    return lambda connection: csv_text(file.columns, file.rows(connection, company_id))


def threads(connection: Connection, company_id: int) -> Iterator[Sequence[object]]:
    statement = select(
        Thread.id, Thread.kind, Thread.title, username().label("author"),
        Category.name.label("category"), Thread.state, Thread.pinned, Thread.reply_count,
        Thread.created_at, Thread.last_posted_at, Thread.answered_at, Thread.hidden_at,
        Thread.hidden_reason,
    ).join(User, User.id == Thread.author_id).outerjoin(
        Category, Category.id == Thread.category_id).where(Thread.company_id == company_id)
    for batch in keyset(connection, statement, Thread.id):
        yield from batch


def posts(connection: Connection, company_id: int) -> Iterator[Sequence[object]]:
    """Thread by thread (a batch of threads, then their posts streamed by the posts'
    (thread, number) index), so no statement scans other companies' posts."""
    author = aliased(User)
    for batch in keyset(connection, select(Thread.id).where(Thread.company_id == company_id),
                        Thread.id):
        statement = select(
            Post.id, Post.thread_id, Post.number, username(author).label("author"),
            Post.kind, Post.official, Post.body_source, Post.created_at, Post.edited_at,
            Post.hidden_at, Post.hidden_reason,
        ).join(author, author.id == Post.author_id).where(
            Post.thread_id.in_([row.id for row in batch])).order_by(Post.thread_id,
                                                                     Post.number)
        yield from connection.execution_options(yield_per=BATCH).execute(statement)


FORUM_FILES = [
    CompanyFile("threads.csv", "every thread (ideas are threads of kind idea)",
                ["id", "kind", "title", "author", "category", "state", "pinned", "replies",
                 "created", "last post", "answered", "hidden", "hidden reason"], threads),
    CompanyFile("posts.csv", "every post, its Markdown as written",
                ["id", "thread id", "number", "author", "kind", "official", "body", "created",
                 "edited", "hidden", "hidden reason"], posts),
]
