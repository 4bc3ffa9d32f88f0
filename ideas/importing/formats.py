"""The formats an import reads, each from tables to drafts and the rows that are wrong.

Ours (docs/importing.md) names people by address and carries votes and comments. Fider's
posts export (its admin's "Export posts to CSV", written by app/pkg/csv/csv.go in
getfider/fider) names authors by display name only and counts votes and comments without
naming anyone: an import of it says so, and records what it can honestly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from forum.accounts.email import EMAIL_PATTERN
from forum.database import utcnow
from forum.errors import Invalid
from forum.threads.posting import MAX_BODY, MAX_TITLE, MIN_TITLE
from ideas.importing.reading import COMMENTS_FILE, IDEAS_FILE, Table, check_columns, read_table
from ideas.models import Status

LIST_SEPARATORS = re.compile(r"[;|\n]")
VOTER_SEPARATORS = re.compile(r"[;|,\s]+")
MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>#|~])")
MAX_VOTERS = 100_000


class Format(StrEnum):
    OURS = "ours"
    FIDER = "fider"


OUR_IDEA_COLUMNS = ("title", "author_email")
OUR_IDEA_OPTIONAL = ("ref", "body", "status", "tags", "created_at", "voter_emails")
OUR_COMMENT_COLUMNS = ("idea_ref", "author_email", "body")
OUR_COMMENT_OPTIONAL = ("created_at",)
# The header Fider writes, in its order (getfider/fider app/pkg/csv/csv.go, FromPosts).
FIDER_COLUMNS = ("number", "title", "description", "created_at", "created_by", "votes_count",
                 "comments_count", "status", "responded_by", "responded_at", "response",
                 "original_number", "original_title", "tags")
# Fider's post statuses (enum.PostStatus names) as ours: "started" is in progress,
# "completed" shipped. A deleted post is not imported.
FIDER_STATUSES = {"open": Status.OPEN, "planned": Status.PLANNED,
                  "started": Status.IN_PROGRESS, "completed": Status.SHIPPED,
                  "declined": Status.DECLINED, "duplicate": Status.DUPLICATE}


@dataclass(frozen=True)
class RowError:
    """One wrong cell: where it is and why."""

    file: str
    line: int
    column: str
    message: str


@dataclass
class CommentDraft:
    line: int
    idea_ref: str
    author_email: str | None  # None: the person importing
    body: str
    created_at: datetime | None
    official: bool = False


@dataclass
class IdeaDraft:
    line: int
    ref: str
    title: str
    body: str
    author_email: str | None  # None: the person importing
    status: str  # as written; the plan finds the company's status
    tags: list[str]
    created_at: datetime | None
    voter_emails: list[str] = field(default_factory=list)
    comments: list[CommentDraft] = field(default_factory=list)


@dataclass
class Parsed:
    """What a file says, before the company is asked about any of it."""

    format: Format
    ideas: list[IdeaDraft]
    errors: list[RowError]
    notes: list[str] = field(default_factory=list)  # what the format cannot carry

    @property
    def comment_count(self) -> int:
        return sum(len(idea.comments) for idea in self.ideas)


class Cells:
    """One row's cells, collecting each wrong one as a RowError."""

    def __init__(self, file: str, line: int, cells: dict[str, str],
                 errors: list[RowError]) -> None:
        self.file, self.line, self.cells, self.errors = file, line, cells, errors

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def wrong(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.file, self.line, column, message))

    def title(self, column: str = "title") -> str:
        title = " ".join(self.text(column).split())
        if len(title) < MIN_TITLE:
            self.wrong(column, f"a title needs at least {MIN_TITLE} characters"
                       if title else "the title is missing")
        elif len(title) > MAX_TITLE:
            self.wrong(column, f"titles are at most {MAX_TITLE} characters ({len(title)} here)")
        return title

    def body(self, column: str, *, required: bool = False) -> str:
        body = (self.cells.get(column) or "").replace("\r\n", "\n").strip()
        if required and not body:
            self.wrong(column, "the text is missing")
        elif len(body) > MAX_BODY:
            self.wrong(column, f"texts are at most {MAX_BODY:,} characters ({len(body):,} here)")
        return body

    def email(self, column: str) -> str | None:
        address = self.text(column)
        if not address:
            self.wrong(column, "the address is missing")
            return None
        if not _is_email(address):
            self.wrong(column, f"“{address}” is not an email address")
            return None
        return address.lower()

    def emails(self, column: str) -> list[str]:
        found: dict[str, None] = {}
        for address in VOTER_SEPARATORS.split(self.text(column)):
            if not address:
                continue
            if _is_email(address):
                found[address.lower()] = None
            else:
                self.wrong(column, f"“{address}” is not an email address")
        return list(found)

    def moment(self, column: str) -> datetime | None:
        """A date and time in ISO 8601 (a zone converts to UTC; none means UTC)."""
        text = self.text(column)
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.wrong(column, f"“{text}” is not a date in ISO 8601 (2024-05-31 or "
                       "2024-05-31T14:05:00Z)")
            return None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if moment > utcnow():
            self.wrong(column, f"{text} is in the future")
            return None
        return moment

    def listed(self, column: str, separators: re.Pattern[str] = LIST_SEPARATORS) -> list[str]:
        found: dict[str, None] = {}
        for item in separators.split(self.text(column)):
            name = " ".join(item.split())
            if name:
                found[name] = None
        return list(found)


def _is_email(address: str) -> bool:
    return len(address) <= 254 and EMAIL_PATTERN.match(address) is not None


def _our_ideas(table: Table, errors: list[RowError]) -> list[IdeaDraft]:
    check_columns(table, OUR_IDEA_COLUMNS, OUR_IDEA_OPTIONAL)
    ideas, refs = [], {}
    for line, record in table.records():
        row = Cells(table.name, line, record, errors)
        ref = row.text("ref")
        if ref in refs:
            row.wrong("ref", f"ref “{ref}” is used on line {refs[ref]} too")
        elif ref:
            refs[ref] = line
        voters = row.emails("voter_emails")
        if len(voters) > MAX_VOTERS:
            row.wrong("voter_emails", f"at most {MAX_VOTERS:,} voters an idea")
        ideas.append(IdeaDraft(line, ref, row.title(), row.body("body"),
                               row.email("author_email"), row.text("status"),
                               row.listed("tags"), row.moment("created_at"), voters))
    return ideas


def _our_comments(table: Table, ideas: list[IdeaDraft], errors: list[RowError]) -> None:
    check_columns(table, OUR_COMMENT_COLUMNS, OUR_COMMENT_OPTIONAL)
    by_ref = {idea.ref: idea for idea in ideas if idea.ref}
    for line, record in table.records():
        row = Cells(table.name, line, record, errors)
        ref = row.text("idea_ref")
        idea = by_ref.get(ref)
        if not ref:
            row.wrong("idea_ref", "the idea's ref is missing")
        elif idea is None:
            row.wrong("idea_ref", f"no idea in {IDEAS_FILE} has the ref “{ref}”")
        comment = CommentDraft(line, ref, row.email("author_email"),
                               row.body("body", required=True), row.moment("created_at"))
        if idea is not None:
            idea.comments.append(comment)


def parse_ours(ideas: bytes, comments: bytes | None) -> Parsed:
    errors: list[RowError] = []
    drafts = _our_ideas(read_table(ideas, IDEAS_FILE), errors)
    if comments is not None:
        _our_comments(read_table(comments, COMMENTS_FILE), drafts, errors)
    return Parsed(Format.OURS, drafts, errors)


def _quoted(text: str) -> str:
    """Text from the other tool, shown literally inside Markdown."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _fider_response(row: Cells, ref: str) -> CommentDraft | None:
    response = row.body("response")
    if not response:
        return None
    by = row.text("responded_by")
    original = row.text("original_number")
    if original:
        response += (f"\n\nDuplicate of Fider post #{_quoted(original)}: "
                     f"“{_quoted(row.text('original_title'))}”.")
    if by:
        response += f"\n\n*— {_quoted(by)}, on Fider*"
    return CommentDraft(row.line, ref, None, response, row.moment("responded_at"),
                        official=True)


def parse_fider(ideas: bytes, comments: bytes | None) -> Parsed:
    table = read_table(ideas, "The Fider export")
    check_columns(table, FIDER_COLUMNS, ())
    if comments is not None:
        raise Invalid("Fider's export is one file: there is no comments file to add.",
                      field="comments")
    errors: list[RowError] = []
    drafts, numbers = [], {}
    for line, record in table.records():
        row = Cells(table.name, line, record, errors)
        number = row.text("number")
        if not number.isdigit():
            row.wrong("number", f"“{number}” is not a Fider post number")
        elif number in numbers:
            row.wrong("number", f"post #{number} is on line {numbers[number]} too")
        else:
            numbers[number] = line
        status = row.text("status").lower()
        if status not in FIDER_STATUSES:
            row.wrong("status", f"“{status}” is not a Fider status the import takes "
                      f"({', '.join(FIDER_STATUSES)})" + (
                          ": a deleted post is not imported, remove its row"
                          if status == "deleted" else ""))
        votes, comment_count = row.text("votes_count"), row.text("comments_count")
        for column, value in (("votes_count", votes), ("comments_count", comment_count)):
            if value and not value.isdigit():
                row.wrong(column, f"“{value}” is not a count")
        author = row.text("created_by") or "someone"
        body = row.body("description")
        body += (("\n\n---\n" if body else "") +
                 f"*Imported from Fider (post #{_quoted(number)}): proposed by "
                 f"{_quoted(author)}, with {votes or 0} votes and {comment_count or 0} "
                 "comments there.*")
        draft = IdeaDraft(line, number, row.title(), body, None,
                          FIDER_STATUSES.get(status, Status.OPEN).value,
                          row.listed("tags", re.compile(r",\s+")), row.moment("created_at"))
        if (response := _fider_response(row, number)) is not None:
            draft.comments.append(response)
        drafts.append(draft)
    notes = ["Fider's export names each idea's author by name only, and counts votes and "
             "comments without naming anyone: the ideas are posted in your name, with the "
             "author and the counts written at the end of each; no votes or comments are "
             "recorded (only the company's official response, as an official reply)."]
    return Parsed(Format.FIDER, drafts, errors, notes)


PARSERS: dict[Format, Callable[[bytes, bytes | None], Parsed]] = {
    Format.OURS: parse_ours, Format.FIDER: parse_fider}


def detect(ideas: bytes) -> Format:
    """Fider's export by its exact header; anything else is read as ours."""
    first_line = ideas.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip().lower()
    return Format.FIDER if first_line == ",".join(FIDER_COLUMNS).encode() else Format.OURS


def parse(ideas: bytes, comments: bytes | None, format: str = "auto") -> Parsed:
    """The drafts of an upload in `format` ("auto": by its header)."""
    if format == "auto":
        chosen = detect(ideas)
    elif format in Format.__members__.values():
        chosen = Format(format)
    else:
        raise Invalid("Choose the file's format from the list.", field="format")
    return PARSERS[chosen](ideas, comments)
