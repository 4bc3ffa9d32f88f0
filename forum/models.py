"""Every forum model, imported in one place so Alembic and the app see the whole schema.

Plug-ins' tables are imported by the plug-ins themselves, before `create_app` returns.
"""

from forum.accounts.models import Identity, User, UserSession
from forum.api.models import ApiToken
from forum.companies.models import Company, CompanyGuest, Membership, Role
from forum.events.models import Event
from forum.mail.models import MailPreference, OutgoingMail
from forum.moderation.models import CompanyBan, Flag, ModerationAction, Review, WatchedWord
from forum.notifications.models import EventCursor, Notification, Subscription
from forum.pagecache.models import ContentVersion
from forum.threads.models import Category, Mention, Post, Revision, Thread, ThreadLink
from forum.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "Category", "Company", "CompanyBan", "CompanyGuest", "ContentVersion", "Event",
    "EventCursor", "Flag", "Identity", "MailPreference",
    "Membership", "Mention", "ModerationAction", "Notification", "OutgoingMail", "Post",
    "Review", "Revision", "Role", "Subscription", "Thread", "ThreadLink", "User",
    "UserSession", "WatchedWord", "WebhookDelivery", "WebhookEndpoint",
]
