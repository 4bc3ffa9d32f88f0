"""The words of the generated data set: names, titles and pre-rendered post bodies.

Bodies are rendered once each by forum.content.render, as the app renders plain text on
save, and then reused by many posts: rendering is ~1 ms a post, too slow for millions.
"""

from __future__ import annotations

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
# Most frequent first: words are drawn with Zipf-like weights, so "export" is common.
FEATURES = ["export", "dark mode", "keyboard shortcuts", "bulk edit", "offline mode",
            "two-factor login", "calendar sync", "custom fields", "saved filters", "webhooks",
            "CSV import", "recurring tasks", "team permissions", "audit log", "PDF reports",
            "single sign-on", "mobile widgets", "markdown tables", "email digests", "tags",
            "time tracking", "public API", "Slack integration", "file previews", "templates",
            "read receipts", "undo history", "a command palette", "version history",
            "multiple workspaces", "guest access", "spell check", "inline comments"]
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


def company_names(count: int) -> list[str]:
    prefixes, suffixes = COMPANY_WORDS
    names = [f"{p}{s}" for s in suffixes for p in prefixes]
    return [names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "")
            for i in range(count)]


class Words:
    """Seeded text: Zipf-weighted picks from the lists above."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._weights = {id(items): [1 / (rank + 1) for rank in range(len(items))]
                         for items in (FEATURES, PLACES, VERBS, OBJECTS, PROBLEMS)}

    def pick(self, items: list[str]) -> str:
        return self.rng.choices(items, self._weights[id(items)])[0]

    def fill(self, template: str) -> str:
        return template.format(verb=self.pick(VERBS), obj=self.pick(OBJECTS),
                               feature=self.pick(FEATURES), place=self.pick(PLACES),
                               problem=self.pick(PROBLEMS), n=self.rng.randint(3, 400))

    def title(self, kind: str) -> str:
        templates = {
            "idea": ["Add {feature} to {place}", "Support {feature}", "Let me {verb} {obj}",
                     "{feature} for {obj}", "Allow {feature} in {place}",
                     "Option to {verb} {obj} from {place}"],
            "question": ["How do I {verb} {obj}?", "Can I use {feature} with {obj}?",
                         "Where is {feature} in {place}?"],
            "problem": ["{place} {problem}", "{place} {problem} when I {verb} {obj}"],
            "praise": ["Love the new {feature}", "{feature} saved my week"],
            "discussion": ["How does your team {verb} {obj}?", "Tips for {feature}",
                           "Share your {place} setup"],
        }[kind]
        text = self.fill(self.rng.choice(templates))
        return text[0].upper() + text[1:]

    def paragraph(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        return " ".join(self.fill(self.rng.choice(SENTENCES)) for _ in range(count))

    def bodies(self, count: int, low: int, high: int) -> list[Body]:
        """Rendered bodies: prose, sometimes a list, a link or a code span, as people write."""
        found = []
        for _ in range(count):
            parts = [self.paragraph(low, high)]
            roll = self.rng.random()
            if roll < 0.2:
                parts.append("\n".join(f"- {self.fill('{verb} {obj}')}" for _ in range(3)))
            elif roll < 0.3:
                parts.append(f"See https://example.com/docs/{self.pick(OBJECTS)} for how "
                             "we do it today.")
            elif roll < 0.4:
                parts.append(f"The setting is `{self.pick(OBJECTS)}.{self.pick(VERBS)}`.")
            if self.rng.random() < 0.3:
                parts.append(self.paragraph(1, 3))
            found.append(_rendered("\n\n".join(parts)))
        return found

    def official_bodies(self, count: int) -> list[Body]:
        return [_rendered(self.fill(self.rng.choice(OFFICIAL))) for _ in range(count)]

    def notes(self, count: int) -> list[Body]:
        """Status-change notes; a third are empty, as when staff only move the status."""
        blank = _rendered("")
        return [blank if self.rng.random() < 0.33 else _rendered(self.fill(
            self.rng.choice(NOTES))) for _ in range(count)]


def _rendered(source: str) -> Body:
    return Body(source, render(source).html)
