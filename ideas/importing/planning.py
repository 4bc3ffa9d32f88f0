"""An import's plan: the parsed file checked against the company, without writing.

It finds each idea's status among the company's, the tags to create, and each address's
account (the one that confirmed it, else an invited one still waiting, else an invited
account to make), and adds the rows the company makes wrong (an unknown status, a title
the company has already). The preview shows it; the import writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from forum.accounts.invitations import NO_PASSWORD
from forum.accounts.models import User
from forum.companies.models import Company
from forum.extensions import db
from forum.threads.models import Kind, Thread
from ideas.importing.formats import Format, IdeaDraft, Parsed, RowError
from ideas.importing.reading import IDEAS_FILE
from ideas.models import DEFAULT_CATEGORIES, Category, IdeaStatus, Status, Tag
from ideas.services import TAG_NAME, tag_slug
from ideas.statuses import company_statuses, first_of

CHUNK = 1000
SAMPLE = 20


@dataclass
class Plan:
    """What an import will create, and every row that stops it."""

    company: Company
    parsed: Parsed
    errors: list[RowError]
    statuses: dict[int, IdeaStatus] = field(default_factory=dict)  # by the idea's line
    tags: dict[str, int | None] = field(default_factory=dict)  # slug -> id (None: new)
    tag_names: dict[str, str] = field(default_factory=dict)  # slug -> name
    accounts: dict[str, int] = field(default_factory=dict)  # address -> user id
    matched: int = 0  # of the accounts: confirmed ones (the rest are invited, waiting)
    new_addresses: list[str] = field(default_factory=list)  # invited accounts to make

    @property
    def ideas(self) -> list[IdeaDraft]:
        return self.parsed.ideas

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def vote_count(self) -> int:
        return sum(len(voters_of(idea)) for idea in self.ideas)

    @property
    def comment_count(self) -> int:
        return self.parsed.comment_count

    @property
    def new_tags(self) -> list[str]:
        return [self.tag_names[slug] for slug, found in self.tags.items() if found is None]

    def votes_for(self, idea: IdeaDraft) -> int:
        return len(voters_of(idea))

    def sample(self) -> list[IdeaDraft]:
        return self.ideas[:SAMPLE]

    def status_label(self, idea: IdeaDraft) -> str:
        found = self.statuses.get(idea.line)
        return found.label if found else idea.status


def voters_of(idea: IdeaDraft) -> list[str]:
    """Whose votes the idea gets: its voters and, as when proposing, its author (an idea
    from a file that names nobody gets none)."""
    if idea.author_email is None:
        return list(idea.voter_emails)
    return list(dict.fromkeys([idea.author_email, *idea.voter_emails]))


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def make_plan(company: Company, parsed: Parsed) -> Plan:
    """Check the drafts against the company; reads only."""
    plan = Plan(company, parsed, list(parsed.errors))
    _statuses(plan)
    _tags(plan)
    _titles(plan)
    _accounts(plan)
    plan.errors.sort(key=lambda error: (error.file != IDEAS_FILE, error.file, error.line))
    return plan


def _statuses(plan: Plan) -> None:
    statuses = company_statuses(plan.company.id)
    named = {}
    for row in statuses:
        for name in (row.key, row.label, row.key.replace("_", " ")):
            named.setdefault(name.lower(), row)
    start = first_of(statuses, Category.OPEN)
    for idea in plan.ideas:
        if not idea.status:
            plan.statuses[idea.line] = start
        elif (found := named.get(idea.status.lower())) is not None:
            plan.statuses[idea.line] = found
        elif plan.parsed.format == Format.FIDER:
            # The company renamed or removed that built-in status: the first of its kind.
            category = DEFAULT_CATEGORIES[Status(idea.status)]
            plan.statuses[idea.line] = first_of(statuses, category)
        else:
            plan.errors.append(RowError(
                _file(plan), idea.line, "status",
                f"“{idea.status}” is not one of {plan.company.name}'s statuses "
                f"({', '.join(row.label for row in statuses)})"))


def _tags(plan: Plan) -> None:
    existing = {tag.slug: tag for tag in db.session.scalars(
        select(Tag).where(Tag.company_id == plan.company.id))}
    for idea in plan.ideas:
        for name in idea.tags:
            if not TAG_NAME.match(name):
                plan.errors.append(RowError(
                    _file(plan), idea.line, "tags",
                    f"“{name}” is not a tag name (1 to 40 letters, digits, spaces and "
                    "- & + . /)"))
                continue
            slug = tag_slug(name)
            found = existing.get(slug)
            plan.tags.setdefault(slug, found.id if found else None)
            plan.tag_names.setdefault(slug, found.name if found else name)


def _file(plan: Plan) -> str:
    return IDEAS_FILE if plan.parsed.format == Format.OURS else "The Fider export"


def _titles(plan: Plan) -> None:
    """A title twice in the file, or one the company has already (an import run twice)."""
    first: dict[str, int] = {}
    for idea in plan.ideas:
        key = idea.title.lower()
        if key and key in first:
            plan.errors.append(RowError(_file(plan), idea.line, "title",
                                        f"the same title as line {first[key]}"))
        first.setdefault(key, idea.line)
    titles = [idea.title.lower() for idea in plan.ideas if idea.title]
    taken: set[str] = set()
    for chunk in chunks(titles):
        taken.update(db.session.scalars(select(func.lower(Thread.title)).where(
            Thread.company_id == plan.company.id, Thread.kind == Kind.IDEA.value,
            func.lower(Thread.title).in_(chunk))))
    for idea in plan.ideas:
        if idea.title.lower() in taken:
            plan.errors.append(RowError(
                _file(plan), idea.line, "title",
                f"{plan.company.name} has an idea with this title already (imported before?)"))


def addresses(plan: Plan) -> list[str]:
    """Every address the file names, once."""
    found: dict[str, None] = {}
    for idea in plan.ideas:
        found.update(dict.fromkeys(voters_of(idea)))
        found.update((comment.author_email, None) for comment in idea.comments
                     if comment.author_email)
    return list(found)


def _accounts(plan: Plan) -> None:
    """Each address's account: the one that confirmed it, else an invited account still
    waiting for it (as recording a vote by address finds them); the rest are new."""
    wanted = addresses(plan)
    for chunk in chunks(wanted):
        plan.accounts.update(_first_by(User.email, chunk))
    plan.matched = len(plan.accounts)
    waiting = [address for address in wanted if address not in plan.accounts]
    for chunk in chunks(waiting):
        plan.accounts.update(_first_by(User.pending_email, chunk, User.invited_at.is_not(None),
                                       User.password_hash == NO_PASSWORD))
    plan.new_addresses = [address for address in wanted if address not in plan.accounts]


def _first_by(column: Any, addresses: Iterable[str], *conditions: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for user_id, address in db.session.execute(
            select(User.id, func.lower(column))
            .where(func.lower(column).in_(list(addresses)), *conditions).order_by(User.id)):
        found.setdefault(address, user_id)
    return found
