"""Customer segments: the groups a company sorts its customers into, each weighing their
votes in the priority score (ideas.priority); the rules that place customers in them, by
their confirmed address's domain or by a value the company gives; and the CSV import that
gives customers their segment and value.

A customer placed by hand stays where the team put them; the rules place everyone else
whenever a segment changes, and a new voter as they vote (place_voter). The scores of the
ideas concerned follow every change (ideas.priority.refresh).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, or_, select, update

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.extensions import db
from forum.threads.models import Post, Thread
from ideas.models import Customer, Idea, Segment, Vote
from ideas.policy import IdeaAction
from ideas.priority import checked_weight, refresh, refresh_company

MAX_SEGMENTS = 50
MAX_IMPORT_BYTES = 2_000_000
MAX_IMPORT_ROWS = 20_000
DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$")
HAND, BY_VALUE, BY_DOMAIN = "hand", "value", "domain"


# Segments ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SegmentRow:
    segment: Segment
    customers: int


def segments(company: Company) -> list[SegmentRow]:
    """The company's segments, heaviest first, with how many customers each has."""
    counts = (select(Customer.segment_id, func.count().label("customers"))
              .where(Customer.company_id == company.id).group_by(Customer.segment_id)
              .subquery())
    rows = db.session.execute(
        select(Segment, func.coalesce(counts.c.customers, 0))
        .outerjoin(counts, counts.c.segment_id == Segment.id)
        .where(Segment.company_id == company.id)
        .order_by(Segment.weight.desc(), func.lower(Segment.name))).all()
    return [SegmentRow(segment, int(customers)) for segment, customers in rows]


def _domains(text: str) -> str:
    domains = []
    for word in re.split(r"[\s,;]+", text.strip().lower()):
        word = word.removeprefix("@")
        if not word:
            continue
        if not DOMAIN.match(word):
            raise Invalid(f"“{word}” is not an email domain (like example.com).",
                          field="domains")
        domains.append(word)
    return " ".join(dict.fromkeys(domains))


def _segment_fields(company: Company, name: str, weight: float | None, domains: str,
                    min_value: float | None, keep: Segment | None = None) -> dict[str, Any]:
    name = " ".join(name.split())
    if not name or len(name) > 40:
        raise Invalid("A segment needs a name of at most 40 characters.", field="name")
    taken = db.session.scalar(select(Segment.id).where(
        Segment.company_id == company.id, func.lower(Segment.name) == name.lower()))
    if taken is not None and (keep is None or taken != keep.id):
        raise Conflict(f"There is already a segment called “{name}”.", field="name")
    return {"name": name, "weight": checked_weight(weight, "weight", "The segment's weight"),
            "email_domains": _domains(domains), "min_value": min_value}


def save_segment(actor: User, company: Company, *, name: str, weight: float | None,
                 domains: str = "", min_value: float | None = None,
                 segment_id: int | None = None) -> Segment:
    """Add a segment, or change one; customers its rules now match join it, and the
    scores follow."""
    policy.require(actor, IdeaAction.PRIORITISE, company)
    segment = _segment(company, segment_id) if segment_id is not None else None
    values = _segment_fields(company, name, weight, domains, min_value, segment)
    with write_transaction():
        if segment is None:
            if db.session.scalar(select(func.count()).where(
                    Segment.company_id == company.id)) >= MAX_SEGMENTS:
                raise Conflict(f"A company has at most {MAX_SEGMENTS} segments.")
            segment = Segment(company_id=company.id, **values)
            db.session.add(segment)
        else:
            for key, value in values.items():
                setattr(segment, key, value)
        db.session.flush()
        _apply_rules(company)
        refresh_company(company)
    return segment


def _segment(company: Company, segment_id: int) -> Segment:
    segment = db.session.get(Segment, segment_id)
    if segment is None or segment.company_id != company.id:
        raise NotFound("There is no such segment.")
    return segment


def delete_segment(actor: User, company: Company, segment_id: int) -> str:
    """Remove a segment: its customers are in none (or in one a rule of theirs matches)."""
    policy.require(actor, IdeaAction.PRIORITISE, company)
    segment = _segment(company, segment_id)
    name = segment.name
    with write_transaction():
        db.session.execute(update(Customer).where(Customer.segment_id == segment.id)
                           .values(segment_id=None, assigned_by=BY_DOMAIN,
                                   updated_at=utcnow()))
        db.session.delete(segment)
        db.session.flush()
        _apply_rules(company)
        refresh_company(company)
    return name


def _rule_segment(rules: Sequence[Segment], email: str | None,
                  value: float | None) -> Segment | None:
    """The segment a customer's rules give: by value first (the highest threshold it
    reaches), then by their confirmed address's domain."""
    if value is not None:
        reached = [s for s in rules if s.min_value is not None and value >= s.min_value]
        if reached:
            return max(reached, key=lambda s: (s.min_value, -s.id))
    if email:
        domain = email.rsplit("@", 1)[-1].lower()
        return next((s for s in rules if domain in s.domains), None)
    return None


def _place_by_rule(row: Customer, found: Segment | None) -> None:
    row.segment_id = found.id if found else None
    row.assigned_by = BY_VALUE if found is not None and found.min_value is not None \
        and row.value is not None and row.value >= found.min_value else BY_DOMAIN


def _apply_rules(company: Company) -> None:
    """Place each customer of the company whose segment no one chose by hand: its known
    customers, and everyone who voted on its ideas."""
    rules = list(db.session.scalars(select(Segment).where(Segment.company_id == company.id)
                                    .order_by(Segment.id)))
    known = {row.user_id: row for row in db.session.scalars(
        select(Customer).where(Customer.company_id == company.id))}
    voters = db.session.execute(
        select(User.id, User.email).where(User.id.in_(
            select(Vote.user_id).join(Idea, Idea.id == Vote.idea_id)
            .where(Idea.company_id == company.id)))).all()
    emails = dict(voters)
    if known:
        for user_id, email in db.session.execute(
                select(User.id, User.email).where(User.id.in_(list(known)))):
            emails[user_id] = email
    now, added = utcnow(), []
    for user_id, email in emails.items():
        row = known.get(user_id)
        if row is not None and row.assigned_by == HAND:
            continue
        found = _rule_segment(rules, email, row.value if row else None)
        if row is None:
            if found is not None:
                added.append({"company_id": company.id, "user_id": user_id,
                              "segment_id": found.id, "assigned_by": BY_DOMAIN,
                              "updated_at": now})
        elif row.segment_id != (found.id if found else None):
            _place_by_rule(row, found)
            row.updated_at = now
    if added:
        db.session.execute(insert_ignoring_conflicts(Customer), added)
    db.session.flush()


def place_voter(user: User, idea: Idea) -> None:
    """A new voter whom the company does not know yet joins the segment their confirmed
    address's domain matches, if any (one statement, only for a confirmed address)."""
    if not user.email:
        return
    domain = user.email.rsplit("@", 1)[-1].lower()
    match = (literal(" ") + Segment.email_domains + literal(" ")).contains(
        f" {domain} ", autoescape=True)
    first = (select(literal(idea.company_id), literal(user.id), Segment.id,
                    literal(BY_DOMAIN), literal(utcnow()))
             .where(Segment.company_id == idea.company_id, match)
             .order_by(Segment.id).limit(1))
    db.session.execute(insert_ignoring_conflicts(Customer).from_select(
        ["company_id", "user_id", "segment_id", "assigned_by", "updated_at"], first))


# Customers ---------------------------------------------------------------------------

def _took_part(company: Company) -> ColumnElement[bool]:
    """Whether a user has voted or written in the company's space: only they can be
    found by address here, so a company learns nothing of other people's accounts."""
    voted = exists().where(Vote.user_id == User.id, Idea.id == Vote.idea_id,
                           Idea.company_id == company.id)
    wrote = exists().where(Post.author_id == User.id, Thread.id == Post.thread_id,
                           Thread.company_id == company.id)
    return or_(voted, wrote)


def _customers_named(company: Company, names: Iterable[str]) -> dict[str, User]:
    """The company's customers by lower-cased username or confirmed address."""
    wanted = {name.strip().lower() for name in names if name.strip()}
    if not wanted:
        return {}
    found: dict[str, User] = {}
    for chunk in _chunks(sorted(wanted), 500):
        for user in db.session.scalars(select(User).where(
                or_(func.lower(User.username).in_(chunk), func.lower(User.email).in_(chunk)),
                _took_part(company))):
            for key in (user.username.lower(), (user.email or "").lower()):
                if key in wanted:
                    found[key] = user
    return found


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _segment_named(company: Company, name: str) -> Segment | None:
    return db.session.scalar(select(Segment).where(
        Segment.company_id == company.id, func.lower(Segment.name) == name.strip().lower()))


NOT_A_CUSTOMER = ("No one who voted or wrote in {company}'s space has that username or "
                  "confirmed address.")


def assign(actor: User, company: Company, who: str, segment_id: int | None) -> str:
    """Put one customer in a segment by hand (or in none); what was done."""
    policy.require(actor, IdeaAction.PRIORITISE, company)
    segment = _segment(company, segment_id) if segment_id is not None else None
    person = _customers_named(company, [who]).get(who.strip().lower())
    if person is None:
        raise NotFound(NOT_A_CUSTOMER.format(company=company.name))
    with write_transaction():
        _upsert(company, {person.id: (segment.id if segment else None, None, False)})
        _refresh_voted_by(company, [person.id])
    return (f"{person.name} is now in “{segment.name}”." if segment
            else f"{person.name} is now in no segment.")


def _refresh_voted_by(company: Company, user_ids: Iterable[int]) -> None:
    refresh(Idea.company_id == company.id,
            Idea.id.in_(select(Vote.idea_id).where(Vote.user_id.in_(list(user_ids)))))


def _upsert(company: Company, changes: dict[int, tuple[int | None, float | None, bool]]) -> None:
    """Set customers' (segment, value, value given): a segment given is by hand; a value
    alone places the customer by the value rules, unless they were placed by hand."""
    rules = list(db.session.scalars(select(Segment).where(Segment.company_id == company.id)
                                    .order_by(Segment.id)))
    known = {row.user_id: row for row in db.session.scalars(select(Customer).where(
        Customer.company_id == company.id, Customer.user_id.in_(list(changes))))}
    emails = dict(db.session.execute(select(User.id, User.email)
                                     .where(User.id.in_(list(changes)))).all())
    now = utcnow()
    for user_id, (segment_id, value, value_given) in changes.items():
        row = known.get(user_id)
        if row is None:
            row = Customer(company_id=company.id, user_id=user_id, assigned_by=BY_DOMAIN)
            db.session.add(row)
        if value_given:
            row.value = value
        if segment_id is not None or not value_given:
            row.segment_id, row.assigned_by = segment_id, HAND
        elif row.assigned_by != HAND:
            _place_by_rule(row, _rule_segment(rules, emails.get(user_id), row.value))
        row.updated_at = now
    db.session.flush()


def members(company: Company, segment_id: int, limit: int = 100) -> list[Customer]:
    """Some of a segment's customers, by name, for its page."""
    return list(db.session.scalars(
        select(Customer).join(Customer.user).where(Customer.company_id == company.id,
                                                   Customer.segment_id == segment_id)
        .order_by(func.lower(User.username)).limit(limit)))


@dataclass
class Imported:
    """What a CSV import did."""

    placed: int = 0
    not_found: list[tuple[int, str]] = field(default_factory=list)  # (line, customer)

    def summary(self) -> str:
        said = f"{self.placed} customer{'' if self.placed == 1 else 's'} updated."
        if self.not_found:
            lines = ", ".join(str(line) for line, _who in self.not_found[:20])
            more = " …" if len(self.not_found) > 20 else ""
            said += (f" {len(self.not_found)} row{'' if len(self.not_found) == 1 else 's'} "
                     f"named no one who voted or wrote here (line {lines}{more}).")
        return said


def import_customers(actor: User, company: Company, data: bytes) -> Imported:
    """Segments and values from a CSV with a `customer` column (a username or confirmed
    address) and `segment` and/or `value` columns. A malformed row (an unknown segment,
    a value that is not a number) saves nothing and says which line; a row naming no
    customer of the company is skipped and listed."""
    policy.require(actor, IdeaAction.PRIORITISE, company)
    rows = _read_csv(data)
    segments_by_name = {s.name.lower(): s for s in db.session.scalars(
        select(Segment).where(Segment.company_id == company.id))}
    parsed: list[tuple[int, str, int | None, float | None, bool]] = []
    for line, row in rows:
        who = (row.get("customer") or "").strip()
        if not who:
            raise Invalid(f"Line {line}: the customer column is empty.", field="file")
        segment_name = (row.get("segment") or "").strip()
        segment = segments_by_name.get(segment_name.lower()) if segment_name else None
        if segment_name and segment is None:
            raise Invalid(f"Line {line}: there is no segment called “{segment_name}”.",
                          field="file")
        value_text = (row.get("value") or "").strip().replace(",", "")
        value_given = "value" in row and bool(value_text)
        try:
            value = float(value_text) if value_given else None
        except ValueError:
            raise Invalid(f"Line {line}: “{value_text}” is not a number.", field="file") from None
        if value is not None and value != value:  # NaN
            raise Invalid(f"Line {line}: “{value_text}” is not a number.", field="file")
        if segment is None and not value_given:
            raise Invalid(f"Line {line}: give a segment, a value or both.", field="file")
        parsed.append((line, who, segment.id if segment else None, value, value_given))
    people = _customers_named(company, [who for _line, who, *_rest in parsed])
    done = Imported()
    changes: dict[int, tuple[int | None, float | None, bool]] = {}
    for line, who, segment_id, value, value_given in parsed:
        person = people.get(who.lower())
        if person is None:
            done.not_found.append((line, who))
        else:
            changes[person.id] = (segment_id, value, value_given)
    with write_transaction():
        if changes:
            _upsert(company, changes)
            refresh_company(company)
    done.placed = len(changes)
    return done


def _read_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    if not data:
        raise Invalid("Choose a CSV file to import.", field="file")
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(f"The file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB: split it.",
                      field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text: save it as CSV (UTF-8).", field="file") from None
    if "\x00" in text:
        raise Invalid("The file is not a CSV text file.", field="file")
    try:
        reader = csv.reader(io.StringIO(text))
        header = [name.strip().lower() for name in next(reader, [])]
        if "customer" not in header or not {"segment", "value"} & set(header):
            raise Invalid("The first line must name the columns: customer, and segment "
                          "and/or value.", field="file")
        rows = []
        for line, cells in enumerate(reader, 2):
            if not any(cell.strip() for cell in cells):
                continue
            rows.append((line, dict(zip(header, cells, strict=False))))
            if len(rows) > MAX_IMPORT_ROWS:
                raise Invalid(f"Import at most {MAX_IMPORT_ROWS:,} rows at once.", field="file")
    except csv.Error as error:
        raise Invalid(f"The file is not valid CSV: {error}.", field="file") from None
    if not rows:
        raise Invalid("The file has no rows below its header.", field="file")
    return rows
