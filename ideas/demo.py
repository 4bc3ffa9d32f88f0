"""The ideas part of the demo: ideas in every status, with votes, answers and history, and
one company (Tandem) with a status list of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from forum import demo
from forum.accounts.models import User
from forum.companies.services import get_company
from forum.database import utcnow, write_transaction
from forum.extensions import db
from forum.threads import posting
from ideas import changelog, priority, segments, services, statuses, votes
from ideas.models import Idea, Importance, StatusChange, Vote

TAGS = {
    "northwind": ["app", "grinder", "espresso", "accessories"],
    "lumen": ["sync", "editor", "export", "mobile"],
    "tandem": ["battery", "cargo", "app", "parts"],
}

# company, proposer, title, body, tags, voters, [(staff, status, note)], [(who, comment)]
IDEAS = [
    ("northwind", "omar", "Schedule the Breeze to warm up before I wake",
     "I want coffee at 6:30 without waiting 15 minutes for the boiler.",
     ["app", "espresso"], ["maya", "leo", "kate", "ines"],
     [("theo", "under_review", "Lots of you asked for this: we're looking at it."),
      ("nora", "planned", "Planned for the spring app release. Thanks for the push!")],
     [("maya", "Yes please, weekdays only would be perfect.")]),
    ("northwind", "maya", "Show grind size in microns, not 1-40",
     "The numbers mean nothing across grinders. Microns would let me share recipes.",
     ["grinder"], ["omar", "kate"],
     [("theo", "in_progress", "Calibrating each Gale at the factory to make this accurate.")],
     []),
    ("northwind", "leo", "A travel case for the Gale grinder", "Something padded, carry-on size.",
     ["accessories"], ["omar"],
     [("nora", "declined", "Not this year: we are focusing on the machines themselves.")], []),
    ("northwind", "kate", "Descale reminder in the app", "A push notification when it's due.",
     ["app"], ["maya", "omar", "leo", "ines", "sam"],
     [("theo", "shipped", "Shipped in app 3.2: Settings → Reminders.")],
     [("omar", "Works great, thank you!")]),
    ("northwind", "ines", "Quieter pump", "The pump wakes my whole flat at 6 am.",
     ["espresso"], ["leo"], [], [("omar", "A rubber mat under the machine helps a bit.")]),
    ("lumen", "ines", "Offline mode on Android", "I teach in a basement with no signal.",
     ["mobile", "sync"], ["maya", "kate", "leo", "omar"],
     [("priya", "planned", "Planned: offline edits sync when you're back online.")], []),
    ("lumen", "maya", "Export an outline to Markdown", "So I can publish notes as blog posts.",
     ["export"], ["kate", "ines"],
     [("priya", "shipped", "Done! File → Export → Markdown.")], []),
    ("lumen", "kate", "Vim keybindings in the editor", "hjkl or nothing.", ["editor"],
     ["omar"], [("jonas", "under_review", "")], []),
    ("lumen", "leo", "Sync notes with my calendar", "Link a note to a meeting.", ["sync"], [],
     [], []),
    ("tandem", "leo", "Show battery health in the app", "How many cycles are left?",
     ["battery", "app"], ["kate", "omar", "maya"],
     [("sam", "road_testing", "Firmware reports cycle count; riders are testing the app.")],
     []),
    ("tandem", "kate", "A child seat for the cargo bike", "Two kids, rain cover included.",
     ["cargo"], ["leo", "ines"], [("sam", "planned", "Planned with a partner for autumn.")],
     []),
    ("tandem", "omar", "Sell spare parts online", "Brake pads, chains, tyres.", ["parts"],
     ["leo", "kate", "maya"], [("sam", "shipped", "The parts shop is live on our website.")],
     []),
    # Northwind Labs is private: only its staff and its guests (maya, omar) see this one.
    ("northwind-labs", "omar", "A deeper drip tray on the Breeze 2 prototype",
     "It is full after four drinks.", [], ["maya"],
     [("theo", "planned", "In the next batch of prototypes.")], []),
]

STEPS = len(IDEAS)


def load(people: dict[str, User], progress: Callable[[int], object]) -> None:
    """Create tags and ideas through the services, then spread them over past weeks."""
    admin = people["admin"]
    for slug, names in TAGS.items():
        company = get_company(slug)
        for name in names:
            services.create_tag(admin, company, name)
    tandem = get_company("tandem")
    statuses.rename_status(admin, tandem, "planned", "Next season")
    statuses.add_status(admin, tandem, "Road testing", "active")
    loaded = []
    for age, spec in enumerate(IDEAS):
        idea = _load_idea(people, *spec)
        _backdate(idea, days=1 + 4 * (len(IDEAS) - age))
        loaded.append(idea)
        progress(1)
    shipped = [idea for idea in loaded
               if idea.company.slug == "northwind" and idea.status == "shipped"]
    changelog.publish(people["nora"], get_company("northwind"), title="App 3.2: reminders",
                      body="The app now reminds you when the Breeze is due for descaling: "
                           "**Settings → Reminders**. Thanks to everyone who asked for it.",
                      idea_thread_ids=[idea.thread_id for idea in shipped])
    _priorities(people, loaded[0])


def _priorities(people: dict[str, User], idea: Idea) -> None:
    """Northwind's team weighs its café customers' votes three times, and two voters
    said how much the warm-up timer matters to them."""
    nora, northwind = people["nora"], get_company("northwind")
    cafes = segments.save_segment(nora, northwind, name="Cafés", weight=3)
    segments.save_segment(nora, northwind, name="Home baristas", weight=1)
    for name in ("maya", "kate"):
        segments.assign(nora, northwind, name, cafes.id)
    priority.set_importance(people["maya"], idea, Importance.CRITICAL)
    priority.set_importance(people["leo"], idea, Importance.NICE_TO_HAVE)
    priority.set_estimates(nora, idea, impact=4, effort=2)


def _load_idea(people: dict[str, User], slug: str, proposer: str, title: str, body: str,
               tags: list[str], voters: list[str], steps: list[tuple[str, str, str]],
               comments: list[tuple[str, str]]) -> Idea:
    company = get_company(slug)
    tag_ids = [t.id for t in services.company_tags(company) if t.name in tags]
    idea = services.propose_idea(people[proposer], company, title=title, body=body,
                                 tag_ids=tag_ids)
    for voter in voters:
        votes.cast_vote(people[voter], idea)
    for who, text in comments:
        posting.post_reply(people[who], idea.thread, text)
    for staff, status, note in steps:
        services.change_status(people[staff], idea, status, note)
    return idea


def _backdate(idea: Idea, days: int) -> None:
    """Move the idea's thread, votes and status changes into the past, in order."""
    with write_transaction():
        demo.backdate(idea.thread, days=days)
        start = idea.thread.created_at
        idea.created_at = start
        for number, vote in enumerate(db.session.scalars(
                select(Vote).where(Vote.idea_id == idea.id).order_by(Vote.id))):
            vote.created_at = start + timedelta(hours=3 * number)
            vote.weight = votes.vote_weight(vote.created_at)
        db.session.flush()
        idea.trend_score = sum(db.session.scalars(select(Vote.weight).where(
            Vote.idea_id == idea.id)))
        changes = db.session.scalars(select(StatusChange).where(
            StatusChange.idea_id == idea.id).order_by(StatusChange.id)).all()
        for change in changes:
            change.created_at = change.post.created_at if change.post else utcnow()
        idea.status_changed_at = changes[-1].created_at if changes else None
