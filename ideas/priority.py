"""Prioritisation by who is asking: customer segments, each vote's importance, the team's
impact and effort, and the priority score they give each idea.

    priority = sum over the idea's votes of (segment weight * importance weight)
               * impact / effort            (impact and effort from 1 to 5; unset: 3)

The company tunes the weights on its priority page, which shows this formula. Each
idea's score is stored (the inbox sorts by it with an index) and recomputed from its
votes, in SQL, whenever something it depends on changes: a vote, its importance, the
idea's estimates, a customer's segment, a weight. The recomputation runs after the vote
counter's UPDATE has locked the idea's row, so under concurrent votes each one reads the
votes committed before it: the last one to commit counts them all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.extensions import db
from forum.threads.models import Post, Thread
from ideas.models import Customer, Idea, Importance, PriorityWeights, Segment, Vote
from ideas.policy import IdeaAction

ESTIMATES = range(1, 6)
UNSET_ESTIMATE = 3
DEFAULT_WEIGHTS = {"unsegmented": 1.0, "not_said": 1.0, "nice_to_have": 1.0,
                   "important": 2.0, "critical": 4.0}
MAX_WEIGHT = 1000.0
MAX_SEGMENTS = 50
MAX_IMPORT_BYTES = 2_000_000
MAX_IMPORT_ROWS = 20_000
DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$")
HAND, BY_VALUE, BY_DOMAIN = "hand", "value", "domain"
NO_SEGMENT, NOT_SAID = "No segment", "Not said"


# The score ---------------------------------------------------------------------------

def _setting(column: Any, name: str) -> ColumnElement[float]:
    return func.coalesce(column, DEFAULT_WEIGHTS[name])


def score() -> ColumnElement[float]:
    """The priority formula as SQL over the idea being updated."""
    weights = PriorityWeights
    importance = case(
        (Vote.importance == Importance.NICE_TO_HAVE, _setting(weights.nice_to_have,
                                                              "nice_to_have")),
        (Vote.importance == Importance.IMPORTANT, _setting(weights.important, "important")),
        (Vote.importance == Importance.CRITICAL, _setting(weights.critical, "critical")),
        else_=_setting(weights.not_said, "not_said"))
    segment = func.coalesce(Segment.weight, _setting(weights.unsegmented, "unsegmented"))
    demand = (
        select(func.coalesce(func.sum(segment * importance), 0.0)).select_from(Vote)
        .outerjoin(Customer, and_(Customer.company_id == Idea.company_id,
                                  Customer.user_id == Vote.user_id))
        .outerjoin(Segment, Segment.id == Customer.segment_id)
        .outerjoin(weights, weights.company_id == Idea.company_id)
        .where(Vote.idea_id == Idea.id).correlate(Idea).scalar_subquery())
    return (demand * func.coalesce(Idea.impact, UNSET_ESTIMATE)
            / func.coalesce(Idea.effort, UNSET_ESTIMATE))


def refresh(*conditions: ColumnElement[bool], idea: Idea | None = None) -> None:
    """Recompute the scores of the ideas `conditions` select (or of `idea`, which takes
    its new score without being read again)."""
    statement = update(Idea).values(priority_score=score())
    if idea is not None:
        new = db.session.execute(statement.where(Idea.id == idea.id)
                                 .returning(Idea.priority_score)).scalar_one()
        set_committed_value(idea, "priority_score", new)
    else:
        db.session.execute(statement.where(*conditions),
                           execution_options={"synchronize_session": False})


def _refresh_company(company: Company) -> None:
    refresh(Idea.company_id == company.id)


def _refresh_voted_by(company: Company, user_ids: Iterable[int]) -> None:
    refresh(Idea.company_id == company.id,
            Idea.id.in_(select(Vote.idea_id).where(Vote.user_id.in_(list(user_ids)))))


# The weights -------------------------------------------------------------------------

def weights_of(company: Company) -> PriorityWeights:
    """The company's weights (the defaults, unsaved, when it never tuned them)."""
    found = db.session.get(PriorityWeights, company.id)
    return found or PriorityWeights(company_id=company.id, **DEFAULT_WEIGHTS)


def _weight(value: float | None, field_name: str, label: str) -> float:
    if value is None or not 0 <= value <= MAX_WEIGHT:
        raise Invalid(f"{label} must be a number from 0 to {MAX_WEIGHT:,.0f}.", field=field_name)
    return float(value)


def set_weights(actor: User, company: Company, **values: float | None) -> None:
    """Tune the weights, and every idea's score follows."""
    policy.require(actor, IdeaAction.PRIORITISE, company)
    labels = {"unsegmented": "A customer in no segment", "not_said": "A vote that says no "
              "importance", "nice_to_have": "Nice to have", "important": "Important",
              "critical": "Critical"}
    checked = {name: _weight(values.get(name), name, labels[name]) for name in DEFAULT_WEIGHTS}
    with write_transaction():
        row = db.session.get(PriorityWeights, company.id)
        if row is None:
            row = PriorityWeights(company_id=company.id)
            db.session.add(row)
        for name, value in checked.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        db.session.flush()
        _refresh_company(company)


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
    return {"name": name, "weight": _weight(weight, "weight", "The segment's weight"),
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
        _refresh_company(company)
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
        _refresh_company(company)
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
            _refresh_company(company)
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


# Estimates, importance, and what an idea's score is made of ------------------------------

def _estimate(value: int | None, field_name: str) -> int | None:
    if value is not None and value not in ESTIMATES:
        raise Invalid("Estimates go from 1 to 5.", field=field_name)
    return value


def set_estimates(actor: User, idea: Idea, impact: int | None, effort: int | None) -> None:
    """The team's impact and effort for one idea (None: not estimated)."""
    policy.require(actor, IdeaAction.PRIORITISE, idea.company)
    idea.impact, idea.effort = _estimate(impact, "impact"), _estimate(effort, "effort")
    with write_transaction(keep_loaded=True):
        db.session.flush()
        refresh(idea=idea)


def set_importance(user: User, idea: Idea, importance: int | None) -> None:
    """How much the idea matters to a voter (None: they do not say)."""
    policy.require(user, IdeaAction.VOTE, idea)
    if importance is not None and importance not in {level.value for level in Importance}:
        raise Invalid("Choose how important this is from the list.", field="importance")
    with write_transaction(keep_loaded=True):
        changed = db.session.execute(
            update(Vote).where(Vote.user_id == user.id, Vote.idea_id == idea.id)
            .values(importance=importance)).rowcount
        if not changed:
            raise Conflict("Vote for the idea first: the importance goes with your vote.")
        refresh(idea=idea)


def importance_of(user: Any, idea: Idea) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Vote.importance).where(
        Vote.user_id == user.id, Vote.idea_id == idea.id))


@dataclass(frozen=True)
class Breakdown:
    """Who is asking for one idea: votes per segment and per importance."""

    by_segment: list[tuple[str, int]]
    by_importance: list[tuple[str, int]]


def breakdown(idea: Idea) -> Breakdown:
    rows = db.session.execute(
        select(Segment.name, Vote.importance, func.count())
        .select_from(Vote)
        .outerjoin(Customer, and_(Customer.company_id == idea.company_id,
                                  Customer.user_id == Vote.user_id))
        .outerjoin(Segment, Segment.id == Customer.segment_id)
        .where(Vote.idea_id == idea.id).group_by(Segment.name, Vote.importance)).all()
    segments_seen: dict[str, int] = {}
    importance: dict[str, int] = {}
    for name, level, count in rows:
        segments_seen[name or NO_SEGMENT] = segments_seen.get(name or NO_SEGMENT, 0) + count
        label = Importance(level).label if level else NOT_SAID
        importance[label] = importance.get(label, 0) + count
    return Breakdown(_most_first(segments_seen, NO_SEGMENT), _most_first(importance, NOT_SAID))


def _most_first(counts: dict[str, int], rest: str) -> list[tuple[str, int]]:
    """Largest count first; `rest` ("No segment") after the named ones it ties with."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] == rest, item[0]))
