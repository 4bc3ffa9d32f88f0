"""Every forum model, imported in one place so Alembic and the app see the whole schema.

The ideas tables register themselves when the app factory imports the ideas blueprint.
"""

from forum.accounts.models import User, UserSession
from forum.companies.models import Company, Membership, Role
from forum.pagecache.models import ContentVersion
from forum.search.models import SearchOutbox
from forum.threads.models import Category, Mention, Post, Revision, Thread, ThreadLink

__all__ = [
    "Category", "Company", "ContentVersion", "Membership", "Mention", "Post", "Revision", "Role",
    "SearchOutbox", "Thread", "ThreadLink", "User", "UserSession",
]
