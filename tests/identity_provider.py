"""A real OpenID Connect provider on loopback: panva's oidc-provider run by Node.js.

tests/oidc/ holds the provider script and its package-lock.json; `npm ci` installs it
the first time. Without Node.js the tests that need it are skipped, unless
OIDC_REQUIRED=1 (as in CI), when a missing Node.js is a failure.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.smtp import free_port

HERE = Path(__file__).resolve().parent / "oidc"
REQUIRED = os.environ.get("OIDC_REQUIRED") == "1"
CLIENT_ID = "cocreate-tests"
CLIENT_SECRET = "a-long-enough-test-client-secret-for-the-provider"
NAME = "Acme SSO"

# The provider's people: the login typed on its form is their `sub`.
ACCOUNTS = {
    "ada": {"email": "ada@example.com", "email_verified": True, "preferred_username": "ada.l"},
    "bob": {"email": "bob@example.com", "email_verified": False, "preferred_username": "bob"},
    "cyd": {"email": "cyd@example.com", "email_verified": True, "preferred_username": "cyd"},
}


def _unavailable(message: str) -> None:
    if REQUIRED:
        pytest.fail(f"OIDC_REQUIRED=1 but {message}")
    pytest.skip(f"OpenID Connect tests skipped: {message}")


def _installed() -> None:
    """`npm ci` into tests/oidc/node_modules when it is not there yet (one test process
    at a time: pytest-xdist's workers share the directory)."""
    with open(HERE / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _install()


def _install() -> None:
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed (it comes with Node.js)")
        return
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        _unavailable(f"npm ci failed in {HERE}: {done.stderr[-500:]}")


class IdentityProvider:
    """The provider process, its issuer URL, and a person's way through its login form."""

    def __init__(self, redirect_uri: str) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.redirect_uri = redirect_uri
        self._process: subprocess.Popen[str] | None = None

    def config(self) -> dict[str, str]:
        """The app's settings for this provider."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_NAME": NAME}

    def start(self) -> IdentityProvider:
        node = shutil.which("node")
        if node is None:
            _unavailable("Node.js is not installed (apt-get install nodejs npm)")
        _installed()
        environment = {**os.environ, "OIDC_CLIENT_ID": CLIENT_ID,
                       "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                       "OIDC_REDIRECT_URI": self.redirect_uri,
                       "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)}
        self._process = subprocess.Popen(
            [str(node), "provider.js", str(self.port)], cwd=HERE, env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith("ready "):
                break
        else:
            pytest.fail(f"the OpenID provider did not start (exit {self._process.wait()})")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            assert self._process.stdout is not None
            self._process.stdout.close()

    def log_in(self, authorize_url: str, login: str) -> str:
        """Follow the app's redirect to the provider, sign in there as `login` (its
        devInteractions form), and return the URL the provider sends the browser back
        to (the app's callback, with its code and state)."""
        browser = requests.Session()
        page = self._follow(browser, browser.get(authorize_url, allow_redirects=False))
        action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        assert action, f"no login form at the provider: {page.text[:500]}"
        answer = browser.post(urljoin(page.url, unescape(action.group(1))),
                              data={"prompt": "login", "login": login, "password": "any"},
                              allow_redirects=False)
        back = self._follow(browser, answer)
        assert back.url.startswith(self.redirect_uri), back.url
        return back.url

    def _follow(self, browser: requests.Session,
                response: requests.Response) -> requests.Response:
        """Follow the provider's redirects, stopping at the app's callback."""
        for _ in range(10):
            location = response.headers.get("Location")
            if response.status_code not in (302, 303) or not location:
                return response
            target = urljoin(response.url, location)
            if target.startswith(self.redirect_uri):
                response.url = target
                return response
            response = browser.get(target, allow_redirects=False)
        raise AssertionError("the provider redirected too often")
