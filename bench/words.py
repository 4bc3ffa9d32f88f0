"""The product words of the generated data set: names, each company's vocabulary, the
templates of titles and product sentences, and the staff's canned answers and notes.

The English around them comes from prose.py. Canned answers and notes are rendered once
each by forum.content.render, as the app renders text on save, and reused by many posts.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from forum.content import render

FIRST = ["maya", "liam", "noor", "ivan", "aiko", "omar", "lena", "tomas", "zoe", "ravi",
         "ines", "kofi", "sara", "jonas", "mei", "diego", "ana", "felix", "hana", "yusuf",
         "elif", "marco", "nina", "pavel", "leah", "bruno", "emma", "tariq", "olga", "sam"]
LAST = ["smith", "garcia", "kim", "novak", "haddad", "okafor", "muller", "rossi", "tanaka",
        "silva", "nguyen", "larsen", "cohen", "kowalski", "dubois", "singh", "ali", "berg"]
COMPANY_WORDS = (["North", "Blue", "Bright", "Iron", "Silver", "Green", "Rapid", "Quiet",
                  "Open", "Clear"],
                 ["wind", "pine", "harbor", "field", "forge", "stack", "loop", "note", "grid",
                  "spark"])
CATEGORIES = [("general", "General"), ("questions", "Questions"), ("problems", "Problems"),
              ("praise", "Praise"), ("announcements", "Announcements")]
TAGS = ["Mobile", "API", "Billing", "Reports", "Integrations", "Performance", "Security",
        "Accessibility", "Search", "Notifications", "Export", "Admin", "Onboarding",
        "Calendar", "Dark mode", "Offline", "Sharing", "Permissions", "Import", "Dashboard",
        "Email", "Localization", "Audit log", "SSO", "Webhooks", "Analytics"]
# Each company reorders these (its own most-talked-about first) and adds the nouns of what
# it makes (DOMAINS); words are then drawn with Zipf-like weights down that order.
FEATURES = ["export", "dark mode", "keyboard shortcuts", "bulk edit", "offline mode",
            "two-factor login", "calendar sync", "custom fields", "saved filters", "webhooks",
            "CSV import", "recurring tasks", "team permissions", "audit log", "PDF reports",
            "single sign-on", "mobile widgets", "markdown tables", "email digests", "tags",
            "time tracking", "public API", "Slack integration", "file previews", "templates",
            "read receipts", "undo history", "a command palette", "version history",
            "multiple workspaces", "guest access", "spell check", "inline comments"]
DOMAINS = [
    ["invoices", "receipts", "expense claims", "payouts", "tax rates", "ledgers", "refunds"],
    ["sprints", "boards", "milestones", "backlogs", "epics", "story points", "roadmaps"],
    ["leads", "deals", "pipelines", "quotes", "accounts", "follow-ups", "territories"],
    ["notebooks", "pages", "highlights", "clippings", "outlines", "wikis", "snippets"],
    ["bookings", "time slots", "reminders", "availability", "rooms", "waitlists",
     "appointments"],
    ["tickets", "macros", "queues", "SLAs", "canned replies", "escalations", "chats"],
    ["orders", "carts", "coupons", "shipments", "storefronts", "returns", "variants"],
    ["charts", "funnels", "cohorts", "segments", "metrics", "alerts", "queries"],
    ["timesheets", "payslips", "shifts", "leave requests", "rotas", "overtime", "contracts"],
    ["layers", "artboards", "components", "prototypes", "frames", "fonts", "assets"],
]
PLACES = ["the dashboard", "the mobile app", "reports", "the editor", "search results",
          "the admin console", "invoices", "the calendar", "notifications", "the API",
          "the inbox", "projects", "the desktop app", "shared folders", "the timeline"]
VERBS = ["export", "share", "archive", "filter", "sort", "print", "sync", "restore", "merge",
         "rename", "schedule", "duplicate", "search", "move", "tag", "lock"]
OBJECTS = ["invoices", "projects", "contacts", "reports", "tasks", "comments", "files",
           "dashboards", "notes", "tickets", "orders", "events", "forms", "users"]
PROBLEMS = ["crashes", "is very slow", "logs me out", "shows the wrong totals",
            "loses my changes", "times out", "ignores my settings", "freezes",
            "sends duplicate emails", "breaks the layout"]
SENTENCES = [
    "It would save our team a lot of time every week.",
    "Right now we {verb} {obj} by hand, which takes ages and is easy to get wrong.",
    "Other tools we use already support {feature}.",
    "We have about {n} people who would use this daily.",
    "Being able to {verb} {obj} from {place} would be great.",
    "Is there a workaround until then?",
    "This is the one thing keeping us from moving the whole company over.",
    "I tried {feature} in the beta and it was close to what we need.",
    "Please also think about {feature} while you are at it.",
    "Since the last update {place} {problem} when I {verb} {obj}.",
    "Thanks for listening, the product keeps getting better.",
    "Our auditors ask for {feature} every quarter.",
    "Same here: we would need {feature} for {obj} too.",
    "+1, this matters for our {obj} as well.",
    "Could you share a rough timeline?",
    "I described our setup in more detail on the support ticket.",
]
OFFICIAL = [
    "Thanks for the detailed request! We are looking at {feature} for {place} this quarter.",
    "Good news: {feature} is now available to every plan. Let us know how it works for you.",
    "We hear you. For now you can {verb} {obj} from the settings page, and we are tracking "
    "a better way here.",
    "This is on our roadmap. We will post updates in this thread as work progresses.",
    "We looked into this and found the cause: a fix ships with the next release.",
    "Thanks everyone for the votes and the use cases, they shape what we build next.",
]
NOTES = [
    "We are starting work on this now.",
    "Scheduled for the next major release.",
    "Shipped today, thanks to everyone who voted!",
    "We decided not to build this: it conflicts with how {place} works. Thanks for the "
    "suggestion all the same.",
    "Under review with the product team.",
]


@dataclass(frozen=True)
class Body:
    source: str
    html: str


@dataclass(frozen=True)
class Vocabulary:
    """One company's product words, its most talked-about first."""

    name: str
    features: list[str]
    places: list[str]
    verbs: list[str]
    objects: list[str]
    problems: list[str]

    def terms(self, count: int) -> list[str]:
        """`count` words for free prose: the company's name, what it makes, its features."""
        return [self.name, *self.objects[:7], *self.features][:count]


def company_names(count: int) -> list[str]:
    prefixes, suffixes = COMPANY_WORDS
    names = [f"{p}{s}" for s in suffixes for p in prefixes]
    return [names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "")
            for i in range(count)]


def vocabulary(rng: random.Random, name: str, position: int) -> Vocabulary:
    """A company's own order of the shared lists, with the nouns of what it makes first."""
    def shuffled(items: list[str]) -> list[str]:
        return rng.sample(items, len(items))

    return Vocabulary(name, shuffled(FEATURES), shuffled(PLACES), shuffled(VERBS),
                      DOMAINS[position % len(DOMAINS)] + shuffled(OBJECTS), shuffled(PROBLEMS))


DEFAULT_VOCABULARY = Vocabulary("Cocreate", FEATURES, PLACES, VERBS, OBJECTS, PROBLEMS)


class Words:
    """Seeded product text: Zipf-weighted picks from a company's vocabulary."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._cumulative: dict[int, list[float]] = {}

    def pick(self, items: list[str]) -> str:
        cumulative = self._cumulative.get(len(items))
        if cumulative is None:
            cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(items))))
            self._cumulative[len(items)] = cumulative
        return self.rng.choices(items, cum_weights=cumulative)[0]

    def fill(self, template: str, words: Vocabulary = DEFAULT_VOCABULARY) -> str:
        """The template with a word for each of its slots, picking only the slots it has."""
        return template.format_map(_Slots(self, words))

    def title(self, kind: str, words: Vocabulary = DEFAULT_VOCABULARY) -> str:
        templates = {
            "idea": ["Add {feature} to {place}", "Support {feature}", "Let me {verb} {obj}",
                     "{feature} for {obj}", "Allow {feature} in {place}",
                     "Option to {verb} {obj} from {place}"],
            "question": ["How do I {verb} {obj}?", "Can I use {feature} with {obj}?",
                         "Where is {feature} in {place}?"],
            "problem": ["{place} {problem}", "{place} {problem} when I {verb} {obj}"],
            "praise": ["Love the new {feature}", "{feature} saved my week"],
            "discussion": ["How does your team {verb} {obj}?", "Tips for {feature}",
                           "Share your setup for {place}"],
        }[kind]
        text = self.fill(self.rng.choice(templates), words)
        return text[0].upper() + text[1:]

    def paragraph(self, low: int, high: int, words: Vocabulary = DEFAULT_VOCABULARY) -> str:
        count = self.rng.randint(low, high)
        return " ".join(self.fill(self.rng.choice(SENTENCES), words) for _ in range(count))

    def extras(self, count: int, words: Vocabulary) -> list[Body]:
        """What people add below their prose: a list, a link or a code span."""
        found = []
        for number in range(count):
            if number % 2 == 0:
                source = "\n".join(f"- {self.fill('{verb} {obj}', words)}" for _ in range(3))
            elif number % 4 == 1:
                source = (f"See https://example.com/docs/{self.pick(OBJECTS)} for how we do "
                          "it today.")
            else:
                source = f"The setting is `{self.pick(OBJECTS)}.{self.pick(VERBS)}`."
            found.append(rendered(source))
        return found

    def official_bodies(self, count: int, words: Vocabulary) -> list[Body]:
        return [rendered(self.fill(self.rng.choice(OFFICIAL), words)) for _ in range(count)]

    def notes(self, count: int, words: Vocabulary) -> list[Body]:
        """Status-change notes; a third are empty, as when staff only move the status."""
        blank = rendered("")
        return [blank if self.rng.random() < 0.33 else rendered(self.fill(
            self.rng.choice(NOTES), words)) for _ in range(count)]


class _Slots(dict[str, str]):
    """A template's slots, each picked when the template asks for it."""

    def __init__(self, picker: Words, words: Vocabulary) -> None:
        super().__init__()
        self.picker, self.words = picker, words

    def __missing__(self, slot: str) -> str:
        if slot == "n":
            return str(self.picker.rng.randint(3, 400))
        lists = {"verb": self.words.verbs, "obj": self.words.objects,
                 "feature": self.words.features, "place": self.words.places,
                 "problem": self.words.problems}
        return self.picker.pick(lists[slot])


def rendered(source: str) -> Body:
    return Body(source, render(source).html)
