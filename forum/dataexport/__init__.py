"""Data exports: a person's own data as JSON, a company's as CSV, each a zip streamed as
it is built; and the pages for them and for deleting one's account.

`register(hooks)` adds forum's files, events and pages; plug-ins add their files with
`add_personal_file` and `add_company_file` (ideas: ideas.json, votes.json; ideas.csv,
votes.csv, tags.csv).
"""

from __future__ import annotations

from forum.dataexport import company, personal, services
from forum.dataexport.views import bp
from forum.hooks import EventType, Hooks, NavLink
from forum.policy import Action


def register(hooks: Hooks) -> None:
    """Forum's export files, its two events, its pages and the owners' manage link."""
    hooks.add_blueprint(bp)
    for personal_file in personal.FORUM_FILES:
        hooks.add_personal_file(personal_file)
    for company_file in company.FORUM_FILES:
        hooks.add_company_file(company_file)
    hooks.add_event_types([
        EventType(services.USER_DATA_EXPORTED, "downloaded their data"),
        EventType(services.COMPANY_EXPORTED, "exported a company's data", staff_action=True),
    ])
    hooks.add_nav_link("manage", NavLink("Export", "data.company_export", 60,
                                         action=Action.EXPORT_COMPANY))
