"""Mail as people read it: a notification's, a daily digest, with plain text and HTML.

A notification's mail is rendered when it is sent, from its event, so that what was
hidden or deleted in the meantime never goes out. Every link is absolute, built on
BASE_URL (never on a request's Host header, which the sender of a request chooses).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app, render_template, request, url_for

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.events.models import Event
from forum.extensions import db
from forum.hooks import NotificationText, hooks_of
from forum.mail import tokens
from forum.mail.models import DIGEST_MAIL, OutgoingMail
from forum.mail.queue import Letter, render_letter
from forum.notifications.queries import Item
from forum.threads.models import Post, Thread
from forum.threads.queries import threads_by_id
from forum.threads.urls import thread_path

ALL_KINDS = "*"  # an unsubscribe link from a digest: every kind the digest carries


@contextmanager
def mail_context() -> Iterator[None]:
    """Render as if asked at BASE_URL: links in mail never follow a request's Host."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        yield


def absolute(path: str) -> str:
    return request.host_url.rstrip("/") + path


def unsubscribe_url(user_id: int, kind: str) -> str:
    token = tokens.sign(tokens.UNSUBSCRIBE, [user_id, kind])
    return url_for("mail.unsubscribe", token=token, _external=True)


@dataclass
class Told:
    """One notification as a mail (or a digest's line) tells it."""

    summary: str
    link: str
    company: Company | None  # None, with the thread, for what is about no company either
    thread: Thread | None  # None: news about the person (a ban, a company request)
    why: str
    post: Post | None = None

    @property
    def where(self) -> str:
        """Whose news this is: the company's, or Cocreate's own."""
        return self.company.name if self.company is not None else "Cocreate"


def may_read(user: User, told: Told) -> bool:
    """Whether `user` may still read what a mail tells (a private space they left
    says nothing); told once per event, so asked per recipient."""
    return told.company is None or bool(policy.can(user, policy.Action.VIEW_COMPANY,
                                                   told.company))


@dataclass
class Renderer:
    """Renders a batch of mails, loading each thread, post and person once, and telling
    each event once per reason (five thousand voters hear of one status change)."""

    threads: dict[int, Thread] = field(default_factory=dict)
    said: dict[tuple[int | None, str], Told | None] = field(default_factory=dict)

    def told(self, mail: OutgoingMail) -> Told | None:
        """What a notification's mail says, or None if it may no longer be told."""
        key = (mail.event_id, mail.reason)
        if key not in self.said:
            self.said[key] = self._tell(mail)
        return self.said[key]

    def _tell(self, mail: OutgoingMail) -> Told | None:
        event = db.session.get(Event, mail.event_id)
        text = hooks_of().notifications.get(event.type) if event is not None else None
        if event is None or text is None:
            return None
        if event.thread_id is None:
            if text.endpoint is not None:
                return self._elsewhere(mail, event, text)
            return self._tell_at_company(mail, event)
        thread = self._thread(event.thread_id)
        data = dict(event.data or {})
        post_id = data.get("post_id") or (event.subject_id if event.subject_type == "posts"
                                          else None)
        post = db.session.get(Post, post_id) if post_id else None
        hidden = thread is None or thread.is_hidden or (post is not None and post.is_hidden)
        if thread is None or (hidden and not text.even_if_hidden):
            return None
        number = post.number if post is not None and not post.is_hidden else None
        path = thread_path(thread.company.slug, thread.id, thread.slug, thread.kind)
        link = absolute(path + (f"#post-{number}" if number else ""))
        return Told(_summary(mail, event, thread), link, thread.company, thread,
                    hooks_of().notification_reasons.get(mail.reason, ""),
                    None if hidden else post)

    def _tell_at_company(self, mail: OutgoingMail, event: Event) -> Told | None:
        """News about the person at a company, of no thread (a ban): it links to the
        company."""
        company = db.session.get(Company, event.company_id) if event.company_id else None
        if company is None:
            return None
        return Told(_summary(mail, event, None),
                    absolute(url_for("companies.company", slug=company.slug)), company, None,
                    hooks_of().notification_reasons.get(mail.reason, ""))

    def _elsewhere(self, mail: OutgoingMail, event: Event, text: NotificationText
                   ) -> Told | None:
        """An event whose text names its page (a company request) points there."""
        assert text.endpoint is not None
        return Told(_summary(mail, event, None), url_for(text.endpoint, _external=True),
                    None, None, hooks_of().notification_reasons.get(mail.reason, ""))


    def _thread(self, thread_id: int) -> Thread | None:
        if thread_id not in self.threads:
            self.threads.update(threads_by_id({thread_id}))
        return self.threads.get(thread_id)

    def notification(self, mail: OutgoingMail, told: Told) -> Letter:
        """The mail of one notification, as `told(mail)` found it."""
        assert mail.user_id is not None
        return render_letter("notification", told=told,
                             unsubscribe=unsubscribe_url(mail.user_id, mail.kind),
                             kind=hooks_of().mail_kinds[mail.kind])


def _summary(mail: OutgoingMail, event: Event, thread: Thread | None) -> str:
    """The notification's one line, as the bell says it, in plain text."""
    text = hooks_of().notifications[event.type]
    data = dict(event.data or {})
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    item = Item([event.id], event.type, text.template, mail.reason, event.created_at, True,
                thread, data, [actor.name if actor else "Someone"], data.get("number"))
    return html.unescape(" ".join(render_template(text.template, item=item).split()))


def digest_letter(user: User, told: list[Told]) -> Letter:
    """One mail for a day of news across every company: grouped by company, the
    busiest first, and a subject that names them."""
    by_company: dict[int, list[Told]] = {}
    for line in told:
        by_company.setdefault(line.company.id if line.company else 0, []).append(line)
    groups = sorted(by_company.values(), key=lambda lines: (-len(lines), lines[0].where))
    return render_letter("digest", user=user, groups=groups, count=len(told),
                         company_names=join_names([lines[0].where for lines in groups]),
                         unsubscribe=unsubscribe_url(user.id, ALL_KINDS))


def join_names(names: list[str]) -> str:
    """"Northwind", "Northwind and Lumen", "Northwind, Lumen and 3 more"."""
    if len(names) <= 2:
        return " and ".join(names)
    if len(names) == 3:
        return f"{names[0]}, {names[1]} and {names[2]}"
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


def message_of(mail: OutgoingMail, letter: Letter, to_address: str,
               company: Company | None = None) -> EmailMessage:
    """The MIME message: plain text and HTML, with RFC 8058 one-click unsubscribe for
    everything but account mail."""
    config = current_app.config
    name, address = parseaddr(config["MAIL_FROM"])
    if company is not None:
        name = f"{company.name} via {name or 'Cocreate'}"
    message = EmailMessage()
    message["Subject"] = letter.subject
    message["From"] = Address(name, addr_spec=address)
    message["To"] = to_address
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = mail.message_id or make_msgid(f"mail-{mail.id}",
                                                          address.split("@")[-1])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Cocreate-Kind"] = mail.kind
    if mail.user_id is not None and mail.kind != "account":
        kind = ALL_KINDS if mail.kind == DIGEST_MAIL else mail.kind
        link = unsubscribe_url(mail.user_id, kind)
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["List-Id"] = f"Cocreate notifications <{mail.kind}.{address.split('@')[-1]}>"
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    return message

