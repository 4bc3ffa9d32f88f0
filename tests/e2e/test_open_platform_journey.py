"""The open platform in a browser: an owner makes a company API token, sees it once, uses
it and revokes it; registers a webhook and watches a signed test event reach a real
receiver; imports ideas from Fider after a preview; a customer downloads everything they
wrote as a zip."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from playwright.sync_api import expect

from forum.webhooks.runtime import get_webhook_runtime
from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer, sign_in
from tests.webhooks import Receiver, verify

FIDER_POSTS = Path(__file__).parent.parent / "data" / "fider-posts.csv"


@pytest.fixture
def live_server(app_factory: Callable[..., Flask], app: Flask) -> Iterator[LiveServer]:
    """As conftest's, with the webhook thread running (as under `flask run`) and loopback
    receivers allowed, as in development."""
    live_app = app_factory(WTF_CSRF_ENABLED=True, PAGE_CACHE_SECONDS=60, WEBHOOK_THREAD=True,
                           WEBHOOK_POLL_INTERVAL=0.1, WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
    server = LiveServer(live_app).start()
    yield server
    server.stop()
    get_webhook_runtime(live_app).stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def northwind(make_company, make_user, make_idea):
    company = make_company("northwind", name="Northwind", owner=make_user("olga"))
    make_idea(company, author=make_user("cara"), title="Oat milk at every shop")
    return company


def test_an_owner_makes_a_token_uses_it_and_revokes_it(page, live_server, northwind):
    sign_in(page, "olga", PASSWORD)
    page.goto("/c/northwind/manage")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("write").check()
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_role("status")).to_contain_text("shown only this once")
    secret = page.get_by_label("Token").input_value()
    assert secret.startswith("cc_co_")

    ideas_url = f"{live_server.url}/api/v1/companies/northwind/ideas"
    bearer = {"Authorization": f"Bearer {secret}"}
    answer = requests.get(ideas_url, headers=bearer, timeout=10)
    assert answer.status_code == 200
    assert [idea["title"] for idea in answer.json()["items"]] == ["Oat milk at every shop"]

    page.goto("/c/northwind/manage/tokens")
    expect(page.get_by_label("Token")).to_have_count(0)  # never shown again
    row = page.get_by_role("row", name=re.compile("CRM sync"))
    expect(row).to_contain_text("read write")
    expect(row).to_contain_text(secret[:12])
    expect(row).not_to_contain_text("never")  # its use above is recorded
    page.get_by_label("Revoke CRM sync").click()
    page.get_by_role("button", name="Yes, revoke it").click()
    expect(page.get_by_role("row", name=re.compile("CRM sync"))).to_contain_text("revoked")

    refused = requests.get(ideas_url, headers=bearer, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_an_owner_adds_a_webhook_and_a_signed_test_event_arrives(page, northwind, receiver):
    sign_in(page, "olga", PASSWORD)
    page.goto("/c/northwind/manage")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("An idea is proposed").check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("heading", name=f"Webhook to {receiver.url}")).to_be_visible()

    page.get_by_text("Show signing secret").click()
    secret = page.locator("[data-secret]").inner_text()
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_role("status")).to_contain_text("Test event queued")
    assert receiver.arrived.wait(10), "the test event never reached the receiver"
    [request] = receiver.requests
    assert verify(secret, request)
    assert request.json["type"] == "webhook.test"

    # The delivery is listed with the receiver's answer once the sender has recorded it.
    for _ in range(50):
        page.reload()
        if page.get_by_role("cell", name="HTTP 200").count():
            break
        page.wait_for_timeout(200)
    delivery = page.get_by_role("row", name=re.compile("webhook.test"))
    expect(delivery).to_contain_text("delivered")
    expect(delivery).to_contain_text("HTTP 200")
    expect(delivery).to_contain_text(" ms")


def test_a_customer_downloads_everything_they_wrote(page, northwind):
    sign_in(page, "cara", PASSWORD)
    page.goto("/settings/profile")
    page.get_by_role("link", name="Your data").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download your data").click()
    download = download_info.value
    assert download.suggested_filename == "127.0.0.1-cara.zip"
    with zipfile.ZipFile(download.path()) as archive:
        names = archive.namelist()
        assert "README.txt" in names or "README.md" in names
        ideas = json.loads(archive.read(next(name for name in names if "ideas" in name)))
    assert [idea["title"] for idea in ideas] == ["Oat milk at every shop"]


def test_an_owner_previews_then_imports_fider_posts(page, northwind, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,votes\nDark mode,3\n", encoding="utf-8")
    sign_in(page, "olga", PASSWORD)
    page.goto("/c/northwind/manage")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Ideas: a CSV file").set_input_files(str(wrong))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("alert")).to_contain_text("title")  # the column it lacks
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)

    page.get_by_label("Ideas: a CSV file").set_input_files(str(FIDER_POSTS))
    page.get_by_label("Format", exact=True).select_option(label="Fider's posts export")
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_text("Nothing is saved yet.")).to_be_visible()
    expect(page.get_by_role("cell", name="Two-factor authentication")).to_be_visible()
    page.get_by_role("button", name="Import 6 ideas").click()
    expect(page.get_by_role("status")).to_contain_text("6")

    page.goto("/c/northwind/ideas")
    for title in ("Dark mode for the dashboard", "Export invoices as PDF",
                  "Two-factor authentication"):
        expect(page.get_by_role("link", name=title)).to_be_visible()
