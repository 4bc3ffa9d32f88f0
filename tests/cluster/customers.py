"""Customers over real HTTP: each with a cookie jar of their own, signing in, reading the
CSRF token off the pages, voting and replying, and noting what the site acknowledged."""

from __future__ import annotations

import http.client
import random
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any

TOKEN = re.compile(r'name="csrf[-_]token"[^>]*? (?:content|value)="([^"]+)"')


@dataclass
class Answer:
    status: int  # 0: no answer at all (the connection failed or was cut)
    body: str = ""
    upstream: str = ""  # the node nginx sent the request to (its X-Upstream header)


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is the answer: 302 after a POST acknowledges it


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _KeepRedirects())

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base + path))  # noqa: S310 (http://)

    def post(self, path: str, form: dict[str, str], *, timeout: float = 30) -> Answer:
        data = urllib.parse.urlencode(form).encode()
        return self._send(urllib.request.Request(  # noqa: S310 (always http://)
            self.base + path, data=data, method="POST"), timeout)

    def _send(self, request: urllib.request.Request, timeout: float = 30) -> Answer:
        try:
            response = self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:  # 3xx (redirects are kept), 4xx, 5xx
            response = error
        except (OSError, http.client.HTTPException):
            return Answer(0)
        with response:
            upstream = response.headers.get("X-Upstream", "")
            try:
                body = response.read().decode(errors="replace")
            except (OSError, http.client.HTTPException):  # the node died mid-answer
                return Answer(0, upstream=upstream)
        return Answer(response.status, body, upstream)

    def token(self, path: str) -> str:
        """The CSRF token of the page at `path` (read again until it is served)."""
        for _ in range(20):
            answer = self.get(path)
            if answer.status == 200 and (found := TOKEN.search(answer.body)):
                return found.group(1)
        raise AssertionError(f"no CSRF token on {path}: {answer.status}")


@dataclass
class Ledger:
    """What every customer sent and what they heard back, shared by their threads."""

    # (user, thread): True when their last vote or retraction acknowledged was a vote,
    # False when a retraction, None when the last one got no answer (either may be saved).
    votes: dict[tuple[str, int], bool | None] = field(default_factory=dict)
    replies: list[tuple[str, int, str]] = field(default_factory=list)  # acknowledged
    unanswered: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, user, thread)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, status, body)
    served_by: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def served(self, answer: Answer) -> None:
        with self.lock:
            for upstream in filter(None, answer.upstream.split(", ")):
                self.served_by[upstream] = self.served_by.get(upstream, 0) + 1


class Customer:
    """One person at one browser, acting until told to stop."""

    def __init__(self, base: str, username: str, password: str, slug: str,
                 threads: list[int], ledger: Ledger, seed: int) -> None:
        self.browser = Browser(base)
        self.username, self.password, self.slug = username, password, slug
        self.threads, self.ledger = threads, ledger
        self.random = random.Random(seed)
        self.said = 0

    def sign_in(self) -> None:
        token = self.browser.token("/signin")
        answer = self.browser.post("/signin", {"login": self.username,
                                               "password": self.password,
                                               "csrf_token": token})
        assert answer.status == 302, (answer.status, answer.body[:300])

    def act_until(self, stop: threading.Event) -> None:
        token = self.browser.token("/home")  # signed in: the token is in its head
        while not stop.is_set():
            thread_id = self.random.choice(self.threads)
            if self.random.random() < 0.5:
                self._vote(thread_id, token)
            else:
                self._reply(thread_id, token)

    def _vote(self, thread_id: int, token: str) -> None:
        # A repeated cast leaves one vote, and a repeated retraction none: sending either
        # again after no answer is safe.
        cast = self.random.random() < 0.7
        form = {"csrf_token": token} | ({} if cast else {"action": "retract"})
        outcome: bool | None = None
        for _attempt in range(2):
            answer = self.browser.post(f"/c/{self.slug}/ideas/{thread_id}/vote", form)
            if self._heard("vote", thread_id, answer):
                outcome = cast
                break
        with self.ledger.lock:
            self.ledger.votes[(self.username, thread_id)] = outcome

    def _reply(self, thread_id: int, token: str) -> None:
        self.said += 1
        body = f"Reply {self.said} from {self.username}: marmalade {self.username}x{self.said}"
        # Sent again when no answer came, as a person would press the button again: if
        # the first one was saved, the duplicate check refuses the second.
        for _attempt in range(2):
            answer = self.browser.post(f"/c/{self.slug}/t/{thread_id}/reply",
                                       {"body": body, "csrf_token": token})
            if self._heard("reply", thread_id, answer):
                with self.ledger.lock:
                    self.ledger.replies.append((self.username, thread_id, body))
                return

    def _heard(self, kind: str, thread_id: int, answer: Answer) -> bool:
        """True when the write was acknowledged; notes what else happened."""
        self.ledger.served(answer)
        if answer.status in (302, 303):
            return True
        with self.ledger.lock:
            if answer.status in (0, 502, 503, 504):
                self.ledger.unanswered.append((kind, self.username, thread_id))
            else:
                self.ledger.refused.append((kind, answer.status, answer.body))
        return False
