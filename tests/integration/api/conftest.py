"""An API world: a company with an owner, an idea, a discussion, and tokens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from forum.accounts.models import User
from forum.api import tokens
from forum.companies.models import Company
from forum.threads.models import Thread


@dataclass
class ApiWorld:
    company: Company
    owner: User
    customer: User
    idea: Any
    thread: Thread
    customer_token: str
    company_token: str

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_world(make_user: Callable[..., User], make_company: Callable[..., Company],
              make_idea: Callable[..., Any], make_thread: Callable[..., Thread]) -> ApiWorld:
    owner = make_user("olivia")
    company = make_company("acme", owner=owner)
    customer = make_user("carla")
    idea = make_idea(company, author=make_user("ian"), title="Dark mode for the dashboard")
    thread = make_thread(company, title="How do I descale the Breeze?", kind="question")
    customer_token = tokens.create_personal_token(customer, "script", ["read", "write"]).secret
    company_token = tokens.create_company_token(owner, company, "sync",
                                                ["read", "write", "staff"]).secret
    return ApiWorld(company, owner, customer, idea, thread, customer_token, company_token)
