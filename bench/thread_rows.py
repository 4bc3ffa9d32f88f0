"""One thread's rows: the thread, its posts in time order, and for ideas the idea, its votes,
tags and status history; every counter is computed from the rows it counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import forum  # noqa: F401 (first: importing ideas.votes alone is a circular import)
from ideas.models import DEFAULT_CATEGORIES, Status
from ideas.votes import vote_weight

if TYPE_CHECKING:
    from dataset import Chunk, DataSet
    from words import Body

STATUS_PATHS = {
    "open": [], "under_review": ["under_review"], "planned": ["under_review", "planned"],
    "in_progress": ["planned", "in_progress"], "shipped": ["planned", "in_progress", "shipped"],
    "declined": ["under_review", "declined"], "duplicate": ["duplicate"],
}
CLOSED = {"shipped", "declined", "duplicate"}
CATEGORY_OF_KIND = {"discussion": 0, "question": 1, "problem": 2, "praise": 3}
ANNOUNCEMENTS = 4
ANSWER_RATE = {"question": 0.45, "problem": 0.45, "idea": 0.25, "discussion": 0.1,
               "praise": 0.15}


@dataclass
class Event:
    """A post after the opening one, before it has a number."""

    at: datetime
    author: int  # user id
    body: Body
    official: bool = False
    status: str | None = None  # the status this post announces, for status changes


class ThreadBuilder:
    def __init__(self, data: DataSet, chunk: Chunk, index: int) -> None:
        self.data, self.chunk, self.index = data, chunk, index
        self.rng = data.rng
        self.kind = data.kinds[index]
        self.company = data.company[index]
        self.staff = data.staff[self.company]
        self.thread_id = index + 1
        self.created = data.created[index]
        self.end = data.now - timedelta(seconds=60)
        self.forced = index in data.forced

    def staff_member(self) -> int:
        return self.rng.choice(self.staff) + 1

    def build(self) -> None:
        announcement = self.kind != "idea" and not self.forced and self.rng.random() < 0.03
        author = self.staff_member() if announcement else self.data.author[self.index] + 1
        events = sorted(self._replies() + self._status_events(), key=lambda e: e.at)
        posts = self._posts(author, announcement, events)
        self._thread_row(author, announcement, posts)
        if self.kind == "idea":
            self._idea_rows(author, posts)

    def _between(self, start: datetime, end: datetime, power: float = 1.0) -> datetime:
        seconds = max(0.0, (end - start).total_seconds())
        return start + timedelta(seconds=seconds * self.rng.random() ** power)

    def _replies(self) -> list[Event]:
        count = self.data.replies[self.index]
        # Replies bunch up soon after the thread starts, then trail off.
        events = [Event(self._between(self.created, self.end, 3), self.data.user() + 1,
                        self.data.body(self.company, opening=False)) for _ in range(count)]
        events.sort(key=lambda e: e.at)
        if events and self.rng.random() < ANSWER_RATE[self.kind] + (
                0.5 if self.index in self.data.popular else 0):
            answers = [self.rng.randrange(min(3, len(events)))]
            answers += [i for i in range(40, len(events), 40) if self.rng.random() < 0.5]
            for i in answers:
                events[i] = Event(events[i].at, self.staff_member(),
                                  self.data.official(self.company), official=True)
        return events

    def _status_events(self) -> list[Event]:
        if self.kind != "idea":
            return []
        path = STATUS_PATHS[self.data.status[self.index]]
        times = sorted(self._between(self.created, self.end) for _ in path)
        return [Event(at, self.staff_member(), self.data.note(self.company),
                      official=True, status=status) for at, status in zip(times, path,
                                                                           strict=True)]

    def _posts(self, author: int, announcement: bool, events: list[Event]) -> list[dict]:
        opening = Event(self.created, author, self.data.body(self.company, opening=True),
                        official=announcement)
        rows = []
        for number, event in enumerate([opening, *events], start=1):
            hidden = (number > 1 and not event.official and self.rng.random() < 0.02)
            edited = (number > 1 and not hidden and not event.official
                      and self.rng.random() < 0.01)
            row = {
                "id": self.data.next_id("posts"), "thread_id": self.thread_id,
                "number": number, "author_id": event.author,
                "kind": "status_change" if event.status else "reply",
                "official": event.official, "body_source": event.body.source,
                "body_html": event.body.html, "created_at": event.at,
                "edited_at": min(self.end, event.at + timedelta(minutes=12)) if edited
                else None,
                "revision_count": 1 if edited else 0,
                "hidden_at": min(self.end, event.at + timedelta(hours=3)) if hidden else None,
                "hidden_by_id": (self.rng.choice([event.author, self.staff[1] + 1])
                                 if hidden else None),
                "hidden_reason": "Off-topic" if hidden else "",
                "_status": event.status,
            }
            if edited:
                self.chunk.tables["revisions"].append({
                    "id": self.data.next_id("revisions"), "post_id": row["id"],
                    "editor_id": event.author, "body_source": event.body.source + " (typo)",
                    "created_at": event.at})
            rows.append(row)
        for row in rows:
            self.chunk.tables["posts"].append(
                {key: value for key, value in row.items() if not key.startswith("_")})
        return rows

    def _thread_row(self, author: int, announcement: bool, posts: list[dict]) -> None:
        data, rng = self.data, self.rng
        last = max(posts, key=lambda p: (p["created_at"], p["number"]))
        officials = [p["created_at"] for p in posts if p["official"]]
        hidden = not self.forced and rng.random() < 0.01
        category = None
        if self.kind != "idea":
            position = ANNOUNCEMENTS if announcement else CATEGORY_OF_KIND[self.kind]
            category = self.company * 5 + position + 1
        vocabulary = data.vocabularies[self.company]
        title = (data.words.fill("New: {feature} in {place}", vocabulary) if announcement
                 else data.prose.title(self.kind, vocabulary))
        self.chunk.tables["threads"].append({
            "id": self.thread_id, "company_id": self.company + 1, "category_id": category,
            "author_id": author, "kind": self.kind, "title": title[:150],
            "slug": data.slug(title), "pinned": announcement and rng.random() < 0.2,
            "state": "locked" if (self.kind != "idea" and not self.forced
                                  and rng.random() < 0.01) else "open",
            "reply_count": sum(1 for p in posts[1:] if p["kind"] == "reply"
                               and p["hidden_at"] is None),
            "post_count": len(posts), "created_at": self.created,
            "last_posted_at": last["created_at"], "last_poster_id": last["author_id"],
            "answered_at": min(officials) if officials else None, "accepted_post_id": None,
            "hidden_at": min(self.end, self.created + timedelta(days=1)) if hidden else None,
            "hidden_by_id": self.staff[1] + 1 if hidden else None,
            "hidden_reason": "Spam" if hidden else "",
        })
        if hidden:
            posts[0]["hidden_at"] = self.chunk.tables["threads"][-1]["hidden_at"]
            self.chunk.tables["posts"][-len(posts)].update(
                hidden_at=posts[0]["hidden_at"], hidden_by_id=self.staff[1] + 1,
                hidden_reason="Spam")
        self._accept(posts)

    def _accept(self, posts: list[dict]) -> None:
        """Questions get an accepted answer now and then: the official one, or a reply."""
        if self.kind != "question" or len(posts) < 2:
            return
        visible = [p for p in posts[1:] if p["hidden_at"] is None]
        official = next((p for p in visible if p["official"]), None)
        if official is not None and self.rng.random() < 0.4:
            chosen = official
        elif visible and self.rng.random() < 0.15:
            chosen = self.rng.choice(visible)
        else:
            return
        self.chunk.accepted.append({"thread": self.thread_id, "post": chosen["id"]})

    def _idea_rows(self, author: int, posts: list[dict]) -> None:
        data = self.data
        idea_id = data.idea_id[self.index]
        status = data.status[self.index]
        changes = [p for p in posts if p["_status"]]
        closed_at = changes[-1]["created_at"] if status in CLOSED else self.end
        votes = self._votes(idea_id, author, closed_at)
        merged = data.merged_into.get(self.index)
        self.chunk.tables["ideas"].append({
            "id": idea_id, "thread_id": self.thread_id, "company_id": self.company + 1,
            "status": status, "status_category": DEFAULT_CATEGORIES[Status(status)].value,
            "vote_count": len(votes),
            "trend_score": sum(v["weight"] for v in votes),
            # No segments, weights or estimates yet: each vote counts 1 (ideas.priority).
            "priority_score": float(len(votes)),
            "merged_into_id": data.idea_id[merged] if merged is not None else None,
            "created_at": self.created,
            "status_changed_at": changes[-1]["created_at"] if changes else None,
        })
        previous = "open"
        for post in changes:
            self.chunk.tables["status_changes"].append({
                "id": data.next_id("status_changes"), "idea_id": idea_id,
                "actor_id": post["author_id"], "from_status": previous,
                "to_status": post["_status"], "post_id": post["id"],
                "created_at": post["created_at"]})
            previous = post["_status"]
        tags = data.tags[self.company]
        count = min(len(tags), self.rng.choices([0, 1, 2, 3], [0.3, 0.4, 0.2, 0.1])[0])
        self.chunk.tables["idea_tags"].extend(
            {"idea_id": idea_id, "tag_id": tag} for tag in self.rng.sample(tags, count))

    def _votes(self, idea_id: int, author: int, until: datetime) -> list[dict[str, Any]]:
        """The proposer's own vote first (proposing votes), then everyone else's."""
        count = self.data.votes[self.index]
        voters = self.rng.sample(range(1, self.data.size["users"] + 1), count)
        if author not in voters:
            voters[0] = author
        rows = []
        for user in voters:
            at = self.created if user == author else self._between(self.created, until)
            rows.append({"id": self.data.next_id("votes"), "user_id": user,
                         "idea_id": idea_id, "weight": vote_weight(at), "created_at": at})
        self.chunk.tables["votes"].extend(rows)
        return rows
