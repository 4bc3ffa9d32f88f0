"""A small, realistic demo: companies with staff, customers, and what they wrote."""

from __future__ import annotations

from collections.abc import Callable

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.companies import services as companies

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
        "website": "https://northwind.example.com",
        "staff": [("theo", "team")],
    },
    {
        "slug": "lumen", "name": "Lumen Notes", "owner": "priya",
        "tagline": "A calm notes app for people who think in outlines.",
        "description": "Lumen Notes runs on the web, iOS and Android. Our roadmap is "
                       "public and shaped by you.",
        "website": "https://lumen.example.com",
        "staff": [("jonas", "moderator")],
    },
    {
        "slug": "tandem", "name": "Tandem Bikes", "owner": "sam",
        "tagline": "Cargo and commuter e-bikes, built to be repaired.",
        "description": "Every Tandem part can be replaced with a standard tool. "
                       "Suggest what we should make better.",
        "website": "https://tandem.example.com",
        "staff": [],
    },
]

STEPS = len(PEOPLE) + len(COMPANIES)


def load(progress: Callable[[int], object] = lambda _n: None) -> dict[str, User]:
    """Create the demo's people and companies through the same services the site uses."""
    people: dict[str, User] = {}
    for username, display_name, bio in PEOPLE:
        user = accounts.register(username, f"{username}@example.com", PASSWORD,
                                 site_admin=username == "admin")
        accounts.update_profile(user, user, display_name, bio)
        people[username] = user
        progress(1)
    admin = people["admin"]
    for spec in COMPANIES:
        company = companies.create_company(
            admin, name=spec["name"], slug=spec["slug"], tagline=spec["tagline"],
            description=spec["description"], website=spec["website"],
            owner=people[spec["owner"]],
        )
        for username, role in spec["staff"]:
            companies.set_staff_role(admin, company, username, role)
        progress(1)
    return people
