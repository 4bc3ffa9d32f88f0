"""The generated data set, as rows: seeded, so the same seed, scale and day give the same rows.

Shapes follow what forums and idea boards look like: company sizes are Zipf-like (one
huge company, a long tail), so are votes per idea (a few very popular ideas) and replies
per thread (most threads short, a few very long ones), and a few users write most posts.
Every id is assigned here, so a chunk of threads can be written with its posts, ideas,
votes and status history at once, with every counter computed from the rows it counts.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prose import Prose, check
from shared import BENCH_PASSWORD, BENCH_USERNAME
from thread_rows import STATUS_PATHS, ThreadBuilder
from werkzeug.security import generate_password_hash
from words import CATEGORIES, FIRST, LAST, TAGS, Body, Words, company_names, vocabulary

from forum.threads.posting import slugify

SCALES = {"S": 1, "M": 5, "L": 10}
BASE = {"companies": 10, "users": 10_000, "ideas": 20_000, "votes": 200_000,
        "threads": 30_000, "posts": 150_000}
HISTORY_DAYS = 730
CHUNK_THREADS = 2_000
CHECK_EVERY = 1_000  # one body in this many is rendered by the app too, and compared
LONG_IDEA_REPLIES = 420  # the page benchmark needs an idea with >= 300 replies
LONG_THREAD_REPLIES = 330
MAX_REPLIES = 1_500
FORUM_KINDS = [("question", 0.35), ("problem", 0.25), ("discussion", 0.3), ("praise", 0.1)]
STATUS_MIX = {  # (ordinary ideas, the most voted 2%)
    "open": (0.62, 0.20), "under_review": (0.10, 0.15), "planned": (0.07, 0.20),
    "in_progress": (0.04, 0.15), "shipped": (0.09, 0.25), "declined": (0.06, 0.05),
    "duplicate": (0.02, 0.0),
}


def sizes(scale: str) -> dict[str, int]:
    return {name: count * SCALES[scale] for name, count in BASE.items()}


def zipf_weights(count: int, exponent: float, offset: float = 1.0) -> list[float]:
    return [1.0 / (rank + offset) ** exponent for rank in range(count)]


def allocate(total: int, weights: list[float], cap: int | None = None) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders), none above `cap`."""
    counts = [0] * len(weights)
    open_items = list(range(len(weights)))
    remaining = total
    while remaining > 0 and open_items:
        scale = remaining / sum(weights[i] for i in open_items)
        shares = {i: weights[i] * scale for i in open_items}
        for i in open_items:
            counts[i] += int(shares[i])
        given = sum(int(shares[i]) for i in open_items)
        for i in sorted(open_items, key=lambda i: shares[i] - int(shares[i]),
                        reverse=True)[:remaining - given]:
            counts[i] += 1
        excess = sum(max(0, counts[i] - cap) for i in open_items) if cap else 0
        if cap:
            for i in open_items:
                counts[i] = min(counts[i], cap)
        open_items = [i for i in open_items if not cap or counts[i] < cap]
        remaining = excess
    return counts


@dataclass
class Chunk:
    """Rows for one slice of threads, in the order they must be written."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {
        name: [] for name in ("threads", "posts", "ideas", "idea_tags", "votes",
                              "status_changes", "revisions")})
    accepted: list[dict[str, int]] = field(default_factory=list)
    threads: int = 0


class DataSet:
    """Everything generate.py writes, computed from (scale, seed, now)."""

    def __init__(self, scale: str, seed: int, now: datetime) -> None:
        self.scale, self.seed, self.now = scale, seed, now
        self.size = sizes(scale)
        self.rng = random.Random(seed)
        self.words = Words(self.rng)
        self.prose = Prose(self.rng, self.words)
        self.password_hash = generate_password_hash(BENCH_PASSWORD)
        self.company_names = company_names(self.size["companies"])
        self.vocabularies = [vocabulary(self.rng, name, position)
                             for position, name in enumerate(self.company_names)]
        # Staff repeat themselves: each company's answers and notes come from a few.
        self.officials = [self.words.official_bodies(20, v) for v in self.vocabularies]
        self.notes = [self.words.notes(12, v) for v in self.vocabularies]
        self.bodies_made = 0
        self._plan_people()
        self._plan_threads()

    # -- people and places ------------------------------------------------------------

    def _plan_people(self) -> None:
        rng, size = self.rng, self.size
        self.company_share = [w / sum(ws) for ws in [zipf_weights(size["companies"], 1.1)]
                              for w in ws]
        users = size["users"]
        ranks = list(range(users))
        rng.shuffle(ranks)
        # A few people write most posts: activity falls off with a random rank.
        self.user_weight = [1.0 / (rank + 5) ** 0.9 for rank in ranks]
        self.user_weight[0] = self.user_weight[0] / 4  # benchuser: an ordinary customer
        self.user_cumulative = list(itertools.accumulate(self.user_weight))
        staff_pool = rng.sample(range(1, users), 4 * size["companies"] + 50)
        self.staff: list[list[int]] = []
        self.memberships: list[dict[str, Any]] = []
        for company, share in enumerate(self.company_share):
            team = 2 + round(12 * share)
            members = [staff_pool.pop() for _ in range(min(team + 1, 6 + team))]
            self.staff.append(members)
            for position, user in enumerate(members):
                role = "owner" if position == 0 else "moderator" if position == 1 else "team"
                self.memberships.append({"id": len(self.memberships) + 1, "user_id": user + 1,
                                         "company_id": company + 1, "role": role,
                                         "created_at": self.now - timedelta(days=800)})

    def user(self) -> int:
        """A user index, weighted by activity."""
        point = self.rng.random() * self.user_cumulative[-1]
        return bisect.bisect_left(self.user_cumulative, point)

    def fixed_rows(self) -> dict[str, list[dict[str, Any]]]:
        """Users, companies, memberships, categories and tags: written before any thread."""
        return {"users": self._users(), "companies": self._companies(),
                "memberships": self.memberships, "categories": self._categories(),
                "tags": self._tags()}

    def _users(self) -> list[dict[str, Any]]:
        rows = []
        for index in range(self.size["users"]):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            username = BENCH_USERNAME if index == 0 else f"{first}_{last}{index}"
            rows.append({
                "id": index + 1, "username": username, "email": f"{username}@example.com",
                "password_hash": self.password_hash,
                "display_name": f"{first.title()} {last.title()}"
                if self.rng.random() < 0.7 else "",
                "bio": "", "is_site_admin": index == 1, "suspended_until": None,
                "suspension_reason": "",
                "created_at": self.now - timedelta(days=HISTORY_DAYS + 30,
                                                   seconds=self.rng.randint(0, 10**7)),
            })
        return rows

    def _companies(self) -> list[dict[str, Any]]:
        return [{"id": i + 1, "slug": slugify(name), "name": name,
                 "tagline": f"{name} makes {self.rng.choice(['software', 'tools'])} teams love",
                 "description": self.words.paragraph(2, 4, self.vocabularies[i]),
                 "website": "https://example.com", "logo_url": "",
                 "created_at": self.now - timedelta(days=HISTORY_DAYS + 60)}
                for i, name in enumerate(self.company_names)]

    def _categories(self) -> list[dict[str, Any]]:
        return [{"id": c * len(CATEGORIES) + p + 1, "company_id": c + 1, "slug": slug,
                 "name": name, "description": f"{name} about the product", "position": p,
                 "thread_count": 0}  # set from the threads once they are written
                for c in range(self.size["companies"])
                for p, (slug, name) in enumerate(CATEGORIES)]

    def _tags(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        self.tags: list[list[int]] = []
        for company, share in enumerate(self.company_share):
            names = TAGS[:min(len(TAGS), 6 + round(40 * share))]
            ids = list(range(len(rows) + 1, len(rows) + 1 + len(names)))
            self.tags.append(ids)
            rows.extend({"id": tag_id, "company_id": company + 1, "slug": slugify(name),
                         "name": name} for tag_id, name in zip(ids, names, strict=True))
        return rows

    # -- the shape of every thread, planned up front -------------------------------------

    def _plan_threads(self) -> None:
        rng, size = self.rng, self.size
        total = size["ideas"] + size["threads"]
        kinds = ["idea"] * size["ideas"] + rng.choices(
            [k for k, _ in FORUM_KINDS], [w for _, w in FORUM_KINDS], k=size["threads"])
        rng.shuffle(kinds)
        self.kinds = kinds
        start = self.now - timedelta(days=HISTORY_DAYS)
        span = (self.now - start).total_seconds() - 3_600
        # More recent threads than old ones: the platform grows.
        offsets = sorted(math.sqrt(rng.random()) * span for _ in range(total))
        self.created = [start + timedelta(seconds=o) for o in offsets]
        self.company = rng.choices(range(size["companies"]), self.company_share, k=total)
        self.author = [self.user() for _ in range(total)]
        self._plan_votes()
        self._plan_statuses()
        self._plan_replies()

    def _plan_votes(self) -> None:
        ideas = [i for i, kind in enumerate(self.kinds) if kind == "idea"]
        self.rng.shuffle(ideas)  # popularity rank, independent of age and company
        extra = allocate(self.size["votes"] - len(ideas), zipf_weights(len(ideas), 1.0, offset=6),
                         cap=int(0.4 * self.size["users"]) - 1)
        self.votes = {thread: 1 + count for thread, count in zip(ideas, extra, strict=True)}
        self.popular = set(ideas[:max(1, len(ideas) // 50)])

    def _plan_statuses(self) -> None:
        """Popular ideas move along more often; a duplicate is merged into an older idea."""
        names = list(STATUS_MIX)
        self.status: dict[int, str] = {}
        self.merged_into: dict[int, int] = {}
        self.idea_id: dict[int, int] = {}
        earlier: dict[int, list[int]] = {}
        for thread in sorted(self.votes):
            self.idea_id[thread] = len(self.idea_id) + 1
            column = 1 if thread in self.popular else 0
            status = self.rng.choices(names, [STATUS_MIX[n][column] for n in names])[0]
            older = earlier.setdefault(self.company[thread], [])
            if status == "duplicate" and not older:
                status = "declined"
            if status == "duplicate":
                self.merged_into[thread] = self.rng.choice(older)
            else:
                older.append(thread)
            self.status[thread] = status

    def _plan_replies(self) -> None:
        status_posts = sum(len(STATUS_PATHS[s]) for s in self.status.values())
        total = len(self.kinds)
        budget = self.size["posts"] - total - status_posts
        top = max(self.votes.values())
        weights = [self.rng.paretovariate(1.2) * (1 + 10 * self.votes.get(i, 0) / top)
                   for i in range(total)]
        self.replies = allocate(budget, weights, cap=MAX_REPLIES)
        biggest = [i for i in range(total) if self.company[i] == 0]
        long_idea = max((i for i in biggest if self.kinds[i] == "idea"), key=self.votes.get)
        long_thread = max((i for i in biggest if self.kinds[i] != "idea"),
                          key=lambda i: self.replies[i])
        self.forced = {long_idea: LONG_IDEA_REPLIES, long_thread: LONG_THREAD_REPLIES}
        for thread, wanted in self.forced.items():
            self._move_replies(thread, wanted - self.replies[thread])

    def _move_replies(self, thread: int, amount: int) -> None:
        """Give `thread` more replies (or fewer), taking them from others (or giving them
        to others) so the total stays put."""
        self.replies[thread] += amount
        step = 1 if amount > 0 else -1
        while amount != 0:
            other = self.rng.randrange(len(self.replies))
            left = self.replies[other] - step
            if other != thread and other not in getattr(self, "forced", {}) \
                    and 0 <= left <= MAX_REPLIES:
                self.replies[other] = left
                amount -= step

    # -- rows, a chunk of threads at a time ---------------------------------------------

    def chunks(self) -> Iterator[Chunk]:
        self._ids = {"posts": 0, "votes": 0, "status_changes": 0, "revisions": 0}
        total = len(self.kinds)
        for first in range(0, total, CHUNK_THREADS):
            chunk = Chunk()
            for index in range(first, min(total, first + CHUNK_THREADS)):
                ThreadBuilder(self, chunk, index).build()
            chunk.threads = min(total, first + CHUNK_THREADS) - first
            yield chunk

    def next_id(self, table: str) -> int:
        self._ids[table] += 1
        return self._ids[table]

    def slug(self, title: str) -> str:
        return slugify(title)

    def body(self, company: int, opening: bool) -> Body:
        """A post's own text: an opening post runs longer than a reply."""
        low, high = (2, 6) if opening else (1, 4)
        body = self.prose.body(self.vocabularies[company], low, high)
        if self.bodies_made % CHECK_EVERY == 0:
            check(body)
        self.bodies_made += 1
        return body

    def official(self, company: int) -> Body:
        return self.pick(self.officials[company])

    def note(self, company: int) -> Body:
        return self.pick(self.notes[company])

    def pick(self, pool: list[Body]) -> Body:
        return pool[self.rng.randrange(len(pool))]
