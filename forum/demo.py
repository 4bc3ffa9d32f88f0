"""A small, realistic demo: companies with staff, customers, and what they wrote."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.companies import privacy, requests
from forum.companies import services as companies
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.extensions import db
from forum.hooks import hooks_of
from forum.mail import tokens
from forum.moderation import watched
from forum.notifications import services as notifications
from forum.threads import categories, posting, state
from forum.threads.models import Post, Thread

PASSWORD = "demo-password"  # noqa: S105 (the demo is public by design)
LOGIN_HINT = (f"Demo sign-in: maya (a customer), nora (Northwind Coffee's owner) or admin, "
              f"password {PASSWORD}")

PEOPLE = [
    # username, display name, bio
    ("admin", "Site Admin", "Keeps the lights on at Cocreate."),
    ("nora", "Nora Lindqvist", "Product lead at Northwind Coffee. Ask me about grinders."),
    ("theo", "Theo Marsh", "Support engineer at Northwind Coffee."),
    ("priya", "Priya Raman", "Founder of Lumen Notes. I read every thread."),
    ("jonas", "Jonas Weber", "Community moderator for Lumen Notes."),
    ("sam", "Sam Okafor", "Runs product at Tandem Bikes."),
    ("maya", "Maya Chen", "Designer, daily espresso drinker, note-taking nerd."),
    ("leo", "Leo Rossi", "Commutes 14 km each way on an e-bike, rain or shine."),
    ("ines", "Inês Duarte", "Teacher. I use Lumen Notes for lesson plans."),
    ("omar", "Omar Haddad", "Home barista and tinkerer."),
    ("kate", "Kate Brennan", "Weekend cyclist, weekday spreadsheet wrangler."),
]

COMPANIES = [
    {
        "slug": "northwind", "name": "Northwind Coffee", "owner": "nora",
        "tagline": "Espresso machines and grinders for the kitchen counter.",
        "description": "We make the Breeze espresso machine and the Gale grinder. "
                       "Tell us what to build next.",
        "website": "https://northwind.example.com", "domain": "northwind.example.com",
        "staff": [("theo", "team")],
        "followers": ["maya", "leo"],
    },
    {
        "slug": "lumen", "name": "Lumen Notes", "owner": "priya",
        "tagline": "A calm notes app for people who think in outlines.",
        "description": "Lumen Notes runs on the web, iOS and Android. Our roadmap is "
                       "public and shaped by you.",
        "website": "https://lumen.example.com", "domain": "lumen.example.com",
        "staff": [("jonas", "moderator")],
        "followers": ["maya"],
        # Added once the demo's posts are in: new posts that mention it wait for Jonas.
        "watched_words": [("jonas", "crypto", "hold")],
    },
    {
        "slug": "tandem", "name": "Tandem Bikes", "owner": "sam",
        "tagline": "Cargo and commuter e-bikes, built to be repaired.",
        "description": "Every Tandem part can be replaced with a standard tool. "
                       "Suggest what we should make better.",
        "website": "https://tandem.example.com", "domain": "tandem.example.com",
        "staff": [],
        "followers": ["leo"],
    },
]

# A private space: only Northwind's staff and the customers it invited see its prototypes.
COMPANIES.append({
    "slug": "northwind-labs", "name": "Northwind Labs", "owner": "nora",
    "tagline": "Prototypes we try with a few customers before anyone else.",
    "description": "A private space: Northwind's staff and the customers testing its "
                   "prototypes. Nothing here is public.",
    "website": "https://northwind.example.com/labs", "domain": "northwind.example.com",
    "staff": [("theo", "team")],
    "followers": ["maya"],
    "private": True, "guests": ["maya", "omar"],
})

# One request for a space that waits for the site admin: its work email is proved.
PENDING_REQUEST = {"requester": "omar", "name": "Crema Lab", "slug": "crema-lab",
                   "website": "https://cremalab.example.com",
                   "work_email": "omar@cremalab.example.com"}

CATEGORIES = {
    "northwind": [("help", "Help & support", "Questions about your machine."),
                  ("brewing", "Brewing", "Recipes, beans and technique.")],
    "lumen": [("help", "Help", "Stuck? Ask here."), ("workflows", "Workflows",
                                                      "How you use Lumen.")],
    "tandem": [("riding", "Riding", "Commutes, cargo and trips."),
               ("repairs", "Repairs", "Parts, tools and fixes.")],
    "northwind-labs": [("prototypes", "Prototypes", "Early machines to try and discuss.")],
}

# (company, category, author, kind, title, body, replies); a reply is (author, body,
# official, accepted).
THREADS = [
    ("northwind", "help", "maya", "question", "How often should I descale the Breeze?",
     "The manual says *regularly*. Is that weekly? Monthly? My water is quite hard.",
     [("omar", "I do it monthly with hard water and it has been fine for two years.", False,
       False),
      ("theo", "With hard water, every 4 weeks. The Breeze also shows an orange light when "
               "it is due: descale then at the latest. Our guide: "
               "https://northwind.example.com/descale", True, True)]),
    ("northwind", "help", "omar", "problem", "Gale grinder stalls on light roasts",
     "Since the last firmware, the Gale stops mid-grind with light roasts at setting 4.",
     [("theo", "Thanks Omar, we can reproduce it. A fix ships in firmware 2.3 next week.",
       True, False),
      ("maya", "Same here, glad it is known!", False, False)]),
    ("northwind", "brewing", "maya", "praise", "The new steam wand is wonderful",
     "Microfoam in 20 seconds. Whoever designed the new tip: thank you!",
     [("nora", "That made our day, Maya. The tip was Theo's idea.", True, False)]),
    ("lumen", "help", "ines", "question", "Can I export a notebook to PDF?",
     "I want to print my lesson plans for a substitute teacher.",
     [("priya", "Yes: open the notebook, then **File → Export → PDF**. Nested outlines keep "
                "their indentation.", True, True)]),
    ("lumen", "workflows", "ines", "discussion", "How do you organise lesson plans?",
     "I have one notebook per class and a page per week. What works for you?",
     [("maya", "I use tags for the week and one notebook per subject.", False, False),
      ("kate", "Templates! A weekly template saves me an hour every Sunday.", False, False)]),
    ("tandem", "riding", "leo", "question", "What range do you get in winter?",
     "At -5 °C my range drops from 70 km to about 45 km. Is that normal?",
     [("kate", "Similar for me. Keeping the battery indoors overnight helps.", False, False),
      ("sam", "That drop is normal for lithium cells in the cold. Store the battery indoors "
              "and charge it at room temperature; range comes back when it warms.", True,
       True)]),
    ("tandem", "repairs", "kate", "problem", "Rear brake squeals after rain",
     "It squeals loudly for the first few stops after riding in rain.", []),
    ("northwind-labs", "prototypes", "maya", "discussion",
     "First week with the Breeze 2 prototype",
     "The dual boiler is fast: milk and espresso at once. The drip tray fills too quickly.",
     [("omar", "Same on mine. The new grinder dial is a big step up, though.", False, False),
      ("theo", "Thank you both: a deeper drip tray is in the next batch of prototypes.",
       True, False)]),
]

def steps() -> int:
    """Progress steps of the whole demo, plug-ins' loaders included (see forum.hooks)."""
    loaders = hooks_of().demo_loaders
    return len(PEOPLE) + len(COMPANIES) + len(THREADS) + 1 + sum(n for n, _ in loaders)


@contextmanager
def _history_mode() -> Iterator[None]:
    """The demo writes weeks of history in a second; flood limits are for live people."""
    config = current_app.config
    saved = {key: config[key] for key in ("POST_MIN_INTERVAL_SECONDS", "POSTS_PER_DAY",
                                          "NEW_ACCOUNT_POSTS_PER_DAY",
                                          "NEW_ACCOUNT_THREADS_PER_DAY")}
    config.update(dict.fromkeys(saved, 0) | {key: 10**6 for key in saved if "DAY" in key})
    try:
        yield
    finally:
        config.update(saved)


def load(progress: Callable[[int], object] = lambda _n: None) -> dict[str, User]:
    """Create the demo's people, companies and threads through the site's own services."""
    with _history_mode():
        return _load(progress)


def _address(username: str) -> str:
    """Staff read mail at their company's domain, which makes them verified there."""
    for spec in COMPANIES:
        if username == spec["owner"] or username in dict(spec["staff"]):
            return f"{username}@{spec['domain']}"
    return f"{username}@example.com"


def _load(progress: Callable[[int], object]) -> dict[str, User]:
    people: dict[str, User] = {}
    for username, display_name, bio in PEOPLE:
        user = accounts.register(username, _address(username), PASSWORD,
                                 site_admin=username == "admin", email_confirmed=True)
        accounts.update_profile(user, user, display_name, bio)
        people[username] = user
        progress(1)
    admin = people["admin"]
    for spec in COMPANIES:
        company = companies.create_company(
            admin, name=spec["name"], slug=spec["slug"], tagline=spec["tagline"],
            description=spec["description"], website=spec["website"],
            owner=people[spec["owner"]], verified_domain=spec["domain"],
        )
        for username, role in spec["staff"]:
            companies.set_staff_role(admin, company, username, role)
        for username in spec.get("guests", []):
            privacy.invite_guest(people[spec["owner"]], company, username=username)
        if spec.get("private"):
            privacy.set_privacy(people[spec["owner"]], company, True)
        for username in spec["followers"]:
            notifications.set_following(people[username], company, notifications.FOLLOWING)
        for slug, name, description in CATEGORIES[spec["slug"]]:
            categories.save_category(admin, company, name=name, slug=slug,
                                     description=description,
                                     position=len(CATEGORIES[spec["slug"]]))
        progress(1)
    for age, (company_slug, category_slug, author, kind, title, body, replies) in enumerate(
            THREADS):
        thread = _load_thread(people, companies.get_company(company_slug), category_slug,
                              author, kind, title, body, replies)
        backdate(thread, days=2 + 3 * (len(THREADS) - age))
        progress(1)
    _ask_for_a_space(people)
    progress(1)
    for _, loader in hooks_of().demo_loaders:
        loader(people, progress)
    for spec in COMPANIES:
        for moderator, phrase, action in spec.get("watched_words", []):
            watched.add_watched_word(people[moderator], companies.get_company(spec["slug"]),
                                     phrase, action)
    return people


def _ask_for_a_space(people: dict[str, User]) -> None:
    """A request whose work email is proved, for the admin to decide in the demo."""
    spec = PENDING_REQUEST
    asked = requests.ask_for_space(people[spec["requester"]], name=spec["name"],
                                   slug=spec["slug"], website=spec["website"],
                                   work_email=spec["work_email"])
    requests.confirm_work_email(
        tokens.sign(tokens.COMPANY_REQUEST, [asked.id, asked.work_email.lower()]))


def _load_thread(people: dict[str, User], company: Company, category_slug: str, author: str,
                 kind: str, title: str, body: str,
                 replies: list[tuple[str, str, bool, bool]]) -> Thread:
    thread = posting.start_thread(
        people[author], company, title=title, body=body, kind=kind,
        category=categories.get_category(company, category_slug))
    for replier, text, official, accepted in replies:
        post = posting.post_reply(people[replier], thread, text, official=official)
        if accepted:
            state.accept_answer(people["admin"], thread, post)
    return thread


def backdate(thread: Thread, days: int) -> None:
    """Spread a thread over the past: opened `days` ago, a reply every few hours."""
    with write_transaction():
        start = utcnow() - timedelta(days=days)
        thread.created_at = start
        posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id)
                                   .order_by(Post.number)).all()
        for post in posts:
            post.created_at = start + timedelta(hours=5 * (post.number - 1))
        thread.last_posted_at = posts[-1].created_at
        official = [post.created_at for post in posts if post.official]
        thread.answered_at = official[0] if official else None
