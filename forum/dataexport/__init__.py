"""Data exports: a person's own data as JSON, a company's as CSV, each a zip streamed as
it is built; and the pages for them and for deleting one's account.

`register(hooks)` adds forum's files, events and pages; plug-ins add their files with
`add_personal_file` and `add_company_file` (ideas: ideas.json, votes.json; ideas.csv,
votes.csv, tags.csv).
"""

from __future__ import annotations

from forum.dataexport import company, personal
from forum.dataexport.views import bp
from forum.hooks import Hooks, NavLink
from forum.policy import Action


def register(hooks: Hooks) -> None:
    """Forum's export files, its pages and the owners' manage link."""
    hooks.add_blueprint(bp)
    for personal_file in personal.FORUM_FILES:
        hooks.add_personal_file(personal_file)
    for company_file in company.FORUM_FILES:
        hooks.add_company_file(company_file)
    hooks.add_nav_link("manage", NavLink("Export", "data.company_export", 60,
                                         action=Action.EXPORT_COMPANY))
