"""The plug-in seam: every hook a package built on forum may register, one registry per app.

A plug-in is a function `init_app(app)` that `create_app(plugins=[...])` calls once; it
adds what it brings through `hooks_of(app).add_*`. The registry lives in
`app.extensions[EXTENSION]`, so two apps built in one process never share a registration,
and nothing registers itself by being imported.

Forum registers its own rules, navigation and thread page through the same hooks, so a
plug-in's entries are read exactly like forum's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict

from flask import Blueprint, Flask, current_app
from sqlalchemy import Connection
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # policy asks this registry for its rules: types only, no import cycle
    from forum.policy import Decision

EXTENSION = "cocreate.hooks"
NavArea = Literal["header", "company", "manage"]


class Rule(Protocol):
    """Policy rule: may `user` do the action to `subject`, and if not, why not."""

    def __call__(self, user: Any, subject: Any, /) -> Decision: ...


class ThreadExtras(TypedDict, total=False):
    """Search fields a plug-in adds to threads it knows (ideas: status, tags, votes, merged)."""

    status: str
    status_label: str  # as the thread's company calls its status
    tags: list[str]
    votes: int
    merged: bool


class SearchExtras(Protocol):
    """Search documents: {thread_id: extras} for the threads among `thread_ids` it knows."""

    def __call__(self, session: Session, thread_ids: Sequence[int], /
                 ) -> Mapping[int, ThreadExtras]: ...


class CompanyStatuses(Protocol):
    """Search form: the (value, label) statuses one company's threads can have."""

    def __call__(self, company_id: int, /) -> Iterable[tuple[str, str]]: ...


class ProfileSection(Protocol):
    """Profile page: (template to include, its context) for the profile's user, as the
    viewer may see it (nothing of a private space they are not part of)."""

    def __call__(self, user: Any, viewer: Any, /) -> tuple[str, dict[str, Any]]: ...


class ManageSection(Protocol):
    """A company's manage page: (template to include, its context) for staff of it."""

    def __call__(self, company: Any, /) -> tuple[str, dict[str, Any]]: ...


class DemoLoader(Protocol):
    """Demo data: add content for the demo's people, calling `progress(1)` per step."""

    def __call__(self, people: dict[str, Any], progress: Callable[[int], object], /
                 ) -> None: ...


class PersonalRecords(Protocol):
    """Personal export: one file's records (JSON-ready mappings) of what `user_id` wrote or
    did, read in batches; nothing of the private spaces in `unseen` but their own words."""

    def __call__(self, connection: Connection, user_id: int, unseen: frozenset[int], /
                 ) -> Iterable[Mapping[str, Any]]: ...


class CompanyRows(Protocol):
    """Company export: one CSV file's rows for `company_id`, read in batches."""

    def __call__(self, connection: Connection, company_id: int, /
                 ) -> Iterable[Sequence[object]]: ...


@dataclass(frozen=True)
class PersonalFile:
    """A JSON file of the personal export ("votes.json"), as its README describes it."""

    name: str
    description: str
    records: PersonalRecords


@dataclass(frozen=True)
class CompanyFile:
    """A CSV file of a company's export (such as "threads.csv"), its header and its README line."""

    name: str
    description: str
    columns: Sequence[str]
    rows: CompanyRows


class WebhookData(Protocol):
    """Webhooks: an event's `data`, as the company's staff may see it (no email address),
    or None to send nothing (what it is about is hidden by now)."""

    def __call__(self, session: Session, event: Any, /) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True)
class HomeSection:
    """The API's /me/home: a part a plug-in adds under `key`, holding what its section of
    the /home page shows (`build(user)`, ready for JSON), described by the JSON Schema
    `schema` in the OpenAPI document."""

    key: str
    schema: Mapping[str, Any]
    build: Callable[[Any], Any]


Plugin = Callable[[Flask], None]


@dataclass(frozen=True)
class NavLink:
    """Navigation: a link in the site header, a company's tabs or its manage tabs.

    Company links are built with `slug=company.slug`. `current` lists the endpoints on
    which the link is marked as the current page (a name ending in "." is a prefix);
    `action`, when set, shows the link only to whom `can(user, action, company)`.
    """

    label: str
    endpoint: str
    position: int
    current: tuple[str, ...] = ()
    action: str | None = None

    def is_current(self, endpoint: str | None) -> bool:
        """Is `endpoint` (the request's) one of this link's pages?"""
        if not endpoint:
            return False
        return any(endpoint == name or (name.endswith(".") and endpoint.startswith(name))
                   for name in (self.endpoint, *self.current))


@dataclass(frozen=True)
class EventType:
    """A kind of event services record; `description` is what the audit log shows.

    `staff_action`: what staff or a site admin do to someone else's content or to settings
    (the audit log's "staff and admin actions" filter; see forum.events.queries)."""

    name: str
    description: str
    staff_action: bool = False


class Recipients(Protocol):
    """Notifications: who hears of an event, as (user id, reason) pairs.

    Called by the notifier inside its transaction with the event's row; the actor and
    anyone who may not see the thing are taken out afterwards."""

    def __call__(self, session: Session, event: Any, /) -> Iterable[tuple[int, str]]: ...


@dataclass(frozen=True)
class NotificationText:
    """Notifications: who hears of one event type and the template that says it."""

    event_type: str
    recipients: Recipients
    template: str  # included for one notification, or a group of them on one thing
    mail_kind: str  # the MailKind whose preference says if and when it goes by mail
    # Told even when the thing is hidden: its removal, to the one whose post it was.
    even_if_hidden: bool = False
    # Where an event with no thread points (a company request: the admins' page or the
    # requester's list): an endpoint that takes no arguments.
    endpoint: str | None = None


@dataclass(frozen=True)
class MailKind:
    """Mail: a kind of notification each person chooses to get at once, daily or never."""

    name: str
    label: str  # what the preferences page and the unsubscribe page call it
    default: str  # "now", "daily" or "off"


@dataclass(frozen=True)
class WebhookEvent:
    """Webhooks: an event type owners may choose to hear of, named as in the event log."""

    event_type: str
    label: str  # the settings page's checkbox: "An idea is proposed"
    data: WebhookData


@dataclass
class Hooks:
    """Everything registered with one app: read by forum, written by forum and plug-ins."""

    blueprints: list[Blueprint] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    thread_endpoints: dict[str, str] = field(default_factory=dict)
    search_extras: list[SearchExtras] = field(default_factory=list)
    search_statuses: dict[str, str] = field(default_factory=dict)
    search_company_statuses: list[CompanyStatuses] = field(default_factory=list)
    profile_sections: list[ProfileSection] = field(default_factory=list)
    home_sections: dict[str, HomeSection] = field(default_factory=dict)
    manage_sections: list[tuple[str | None, ManageSection]] = field(default_factory=list)
    demo_loaders: list[tuple[int, DemoLoader]] = field(default_factory=list)
    navigation: dict[NavArea, list[NavLink]] = field(default_factory=dict)
    event_types: dict[str, EventType] = field(default_factory=dict)
    notifications: dict[str, NotificationText] = field(default_factory=dict)
    mail_kinds: dict[str, MailKind] = field(default_factory=dict)
    notification_reasons: dict[str, str] = field(default_factory=dict)
    personal_files: list[PersonalFile] = field(default_factory=list)
    company_files: list[CompanyFile] = field(default_factory=list)
    webhook_events: dict[str, WebhookEvent] = field(default_factory=dict)
    upload_limits: dict[str, str] = field(default_factory=dict)

    def add_blueprint(self, blueprint: Blueprint) -> None:
        """Blueprints: pages a plug-in serves; the factory registers them after forum's."""
        self.blueprints.append(blueprint)

    def add_rules(self, rules: Mapping[str, Rule]) -> None:
        """Policy rules, one per action; an action decided twice is a programming error."""
        clash = set(rules) & set(self.rules)
        if clash:
            raise ValueError(f"policy rules registered twice: {sorted(clash)}")
        self.rules.update(rules)

    def add_thread_endpoint(self, kind: str, endpoint: str) -> None:
        """Thread URLs: the endpoint (taking slug, thread_id, thread_slug) for a kind."""
        self.thread_endpoints[kind] = endpoint

    def add_search_extras(self, provider: SearchExtras,
                          statuses: Iterable[tuple[str, str]] = (),
                          company_statuses: CompanyStatuses | None = None) -> None:
        """Search document extras, the (value, label) statuses the search form offers, and
        those it offers when searching one company (which may name its own)."""
        self.search_extras.append(provider)
        self.search_statuses.update(statuses)
        if company_statuses is not None:
            self.search_company_statuses.append(company_statuses)

    def add_profile_section(self, section: ProfileSection) -> None:
        """Profile sections, shown under a person's threads in registration order."""
        self.profile_sections.append(section)

    def add_home_section(self, section: HomeSection) -> None:
        """The API's /me/home parts, beside the profile section the /home page includes;
        a key registered twice is a programming error."""
        if section.key in self.home_sections:
            raise ValueError(f"home section registered twice: {section.key}")
        self.home_sections[section.key] = section

    def add_manage_section(self, section: ManageSection, action: str | None = None) -> None:
        """Manage page sections, in registration order; `action`, when set, shows the
        section only to whom `can(user, action, company)`."""
        self.manage_sections.append((action, section))

    def add_demo_loader(self, steps: int, loader: DemoLoader) -> None:
        """Demo data loaded after forum's, with its number of progress steps."""
        self.demo_loaders.append((steps, loader))

    def add_nav_link(self, area: NavArea, link: NavLink) -> None:
        """Navigation entries, ordered by position within their area."""
        links = self.navigation.setdefault(area, [])
        links.append(link)
        links.sort(key=lambda entry: entry.position)

    def add_event_types(self, types: Iterable[EventType]) -> None:
        """Event types a plug-in records; a name registered twice is a programming error."""
        for event_type in types:
            if event_type.name in self.event_types:
                raise ValueError(f"event type registered twice: {event_type.name}")
            self.event_types[event_type.name] = event_type

    def add_notifications(self, texts: Iterable[NotificationText]) -> None:
        """Notifications: for event types people hear of, who and in what words."""
        for text in texts:
            if text.event_type not in self.event_types:
                raise ValueError(f"notification for an unknown event type: {text.event_type}")
            if text.event_type in self.notifications:
                raise ValueError(f"notification registered twice: {text.event_type}")
            if text.mail_kind not in self.mail_kinds:
                raise ValueError(f"notification of an unknown mail kind: {text.mail_kind}")
            self.notifications[text.event_type] = text

    def add_mail_kinds(self, kinds: Iterable[MailKind]) -> None:
        """Mail kinds, listed on the preferences page in registration order."""
        for kind in kinds:
            if kind.name in self.mail_kinds:
                raise ValueError(f"mail kind registered twice: {kind.name}")
            self.mail_kinds[kind.name] = kind

    def add_notification_reasons(self, reasons: Mapping[str, str]) -> None:
        """Why someone hears of a thing (a Recipients reason), as a mail's footer says it:
        {"voted": "You voted for this idea."}."""
        clash = set(reasons) & set(self.notification_reasons)
        if clash:
            raise ValueError(f"notification reasons registered twice: {sorted(clash)}")
        self.notification_reasons.update(reasons)

    def add_personal_file(self, file: PersonalFile) -> None:
        """Personal export: a JSON file of the person's own data, in registration order."""
        self.personal_files.append(file)

    def add_company_file(self, file: CompanyFile) -> None:
        """Company export: a CSV file of the company's data, in registration order."""
        self.company_files.append(file)

    def add_webhook_events(self, kinds: Iterable[WebhookEvent]) -> None:
        """Webhooks: event types sent to the endpoints that chose them, in this order."""
        for kind in kinds:
            if kind.event_type not in self.event_types:
                raise ValueError(f"webhook for an unknown event type: {kind.event_type}")
            if kind.event_type in self.webhook_events:
                raise ValueError(f"webhook event registered twice: {kind.event_type}")
            self.webhook_events[kind.event_type] = kind

    def add_upload_limit(self, endpoint: str, setting: str) -> None:
        """An endpoint taking uploads larger than MAX_CONTENT_LENGTH: the config setting
        (bytes) its requests are read under instead, plus room for the other fields."""
        self.upload_limits[endpoint] = setting

    def nav(self, area: NavArea) -> list[NavLink]:
        """The links of one navigation area, in order."""
        return self.navigation.get(area, [])

    def thread_areas(self, app: Flask) -> tuple[str, ...]:
        """The path segments of thread pages, /c/<company>/<area>/<id>: forum's "t" and
        plug-ins' (read from the app's URL map, so no path is spelled twice)."""
        endpoints = set(self.thread_endpoints.values())
        return tuple(sorted({rule.rule.split("/")[3] for rule in app.url_map.iter_rules()
                             if rule.endpoint in endpoints}))

    def thread_endpoint(self, kind: str) -> str:
        """The endpoint that shows threads of this kind (forum's thread page by default)."""
        return self.thread_endpoints.get(kind, self.thread_endpoints["*"])


def init_hooks(app: Flask) -> Hooks:
    """Give the app its empty registry (the factory does this first)."""
    hooks = Hooks()
    app.extensions[EXTENSION] = hooks
    return hooks


def hooks_of(app: Flask | None = None) -> Hooks:
    """The registry of `app`, or of the current app."""
    target = app if app is not None else current_app
    registry: Hooks = target.extensions[EXTENSION]
    return registry
