"""Company spaces by consent (17.7): asking, proving the work email by a real mail,
an admin's decision, the directory, and the verified mark next to Official."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from forum import create_app
from forum.accounts import services as accounts
from forum.companies import requests
from forum.companies import services as companies
from forum.companies.models import Company, CompanyRequest, Membership
from forum.events import types as events
from forum.events.models import Event
from forum.extensions import db
from forum.mail import tokens
from forum.threads.urls import thread_path
from tests.conftest import (
    PASSWORD,
    PLUGINS,
    POSTGRES_URL,
    _reset_postgres,
    _sqlalchemy_url,
    make_config,
    restore_postgres_template,
)
from tests.helpers import heard
from tests.smtp import links, path_of


def asked(**overrides: str) -> dict[str, str]:
    return {"name": "Northwind Coffee", "slug": "northwind",
            "website": "https://www.northwind.example", "work_email": "nora@northwind.example"
            } | overrides


def the_request() -> CompanyRequest:
    db.session.rollback()
    found = db.session.scalar(select(CompanyRequest))
    assert found is not None
    return found


def link_of(found: CompanyRequest) -> str:
    token = tokens.sign(tokens.COMPANY_REQUEST, [found.id, found.work_email.lower()])
    return f"/companies/requests/confirm/{token}"


def awaiting_review(user, **overrides: str) -> CompanyRequest:
    """A request whose work email is proved, made through the services."""
    made = requests.ask_for_space(user, **asked(**overrides))
    return requests.confirm_work_email(link_of(made).rsplit("/", 1)[1])


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_asking_mails_a_link_to_the_work_email(client, auth, make_user, smtp, send):
    make_user("nora")
    auth.signin("nora")
    response = client.post("/companies/request", data=asked())
    assert response.status_code == 302 and response.headers["Location"] == "/companies/requests"
    page = client.get("/companies/requests").get_data(as_text=True)
    assert "Check the inbox of nora@northwind.example" in page
    assert "Waiting for the work email to be confirmed" in page
    found = the_request()
    assert (found.status, found.domain, found.email_confirmed_at) == (
        "awaiting_email", "northwind.example", None)
    send()
    [message] = smtp.inbox.to("nora@northwind.example")
    assert message["Subject"] == "Confirm Northwind Coffee's space on Cocreate"
    link = path_of(next(link for link in links(message) if "/companies/requests/confirm/"
                        in link))
    shown = client.get(link)  # what a link scanner does: nothing changes
    assert shown.status_code == 200 and "Confirm nora@northwind.example" in shown.get_data(
        as_text=True)
    assert the_request().status == "awaiting_email"
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    found = the_request()
    assert found.status == "awaiting_review" and found.email_confirmed_at is not None
    again = client.post(link)  # a link works once
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)


def test_asking_takes_a_signed_in_person(client):
    response = client.get("/companies/request")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert client.post("/companies/request", data=asked()).status_code == 302
    assert count(CompanyRequest) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"work_email": "nora@gmail.com"}, "Addresses at gmail.com are open to anyone"),
        ({"work_email": "nora@proton.me"}, "Addresses at proton.me are open to anyone"),
        ({"work_email": "nora@southwind.example"},
         "Your work email must be at the website&#39;s domain, northwind.example"),
        ({"website": "https://shop.northwind.example",
          "work_email": "nora@mail.northwind.example"},
         "must be at the website&#39;s domain, shop.northwind.example"),
        ({"work_email": "nora@example"}, "Enter an email address like"),
        ({"work_email": "not an address"}, "Enter an email address like"),
        ({"website": "ftp://northwind.example"}, "Websites start with http"),
        ({"website": "javascript:alert(1)"}, "Websites start with http"),
        ({"website": ""}, "This field is required."),
        ({"slug": "Not A Slug!"}, "Slugs are lower-case"),
        ({"slug": "admin"}, "Slugs are lower-case"),
        ({"slug": "companies"}, "Slugs are lower-case"),  # a path the app serves
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 81}, "80"),
    ],
)
def test_bad_requests_are_refused_on_their_field(client, auth, make_user, overrides,
                                                 message):
    make_user("nora")
    auth.signin("nora")
    response = client.post("/companies/request", data=asked(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(CompanyRequest) == 0 and count(Event) == 1  # only nora joining


@pytest.mark.parametrize(("website", "email"), [
    ("https://www.northwind.example/", "nora@mail.northwind.example"),  # a subdomain
    ("https://shop.northwind.example:8443", "nora@northwind.example"),  # its parent
])
def test_a_subdomain_or_parent_of_the_website_will_do(client, auth, make_user, website,
                                                      email):
    make_user("nora")
    auth.signin("nora")
    response = client.post("/companies/request", data=asked(website=website,
                                                            work_email=email))
    assert response.status_code == 302
    assert the_request().domain == email.split("@")[1]


def test_an_address_taken_or_asked_for_is_refused(client, auth, make_user, make_company):
    make_company("northwind")
    requests.ask_for_space(make_user("other"), **asked(slug="lumen",
                                                       work_email="o@northwind.example"))
    make_user("nora")
    auth.signin("nora")
    for slug in ("northwind", "lumen"):
        response = client.post("/companies/request", data=asked(slug=slug))
        assert response.status_code == 422
        assert "Another company has that address, or has asked for it." in \
            response.get_data(as_text=True)
    assert count(CompanyRequest) == 1


def test_one_open_request_at_a_time_and_a_few_a_day(client, auth, make_user, admin):
    nora = make_user("nora")
    auth.signin("nora")
    assert client.post("/companies/request", data=asked()).status_code == 302
    second = client.post("/companies/request", data=asked(slug="other"))
    assert second.status_code == 409 and "You have a request waiting already" in \
        second.get_data(as_text=True)
    assert count(CompanyRequest) == 1
    for number in range(2):  # decided requests do not block, but they count for the day
        requests.decline_request(admin, requests.confirm_work_email(
            link_of(the_request() if number == 0 else latest()).rsplit("/", 1)[1]), "No.")
        requests.ask_for_space(nora, **asked(slug=f"again{number}"))
    requests.decline_request(admin, requests.confirm_work_email(
        link_of(latest()).rsplit("/", 1)[1]), "No.")
    fourth = client.post("/companies/request", data=asked(slug="fourth"))
    assert fourth.status_code == 429
    assert "You can ask for 3 spaces a day" in fourth.get_data(as_text=True)
    assert count(CompanyRequest) == 3


def latest() -> CompanyRequest:
    db.session.rollback()
    return db.session.scalars(select(CompanyRequest).order_by(CompanyRequest.id.desc())
                              ).first()


def test_an_unconfirmed_request_whose_link_expired_holds_nothing(app, make_user):
    nora = make_user("nora")
    requests.ask_for_space(nora, **asked())
    app.config["CONFIRM_EMAIL_HOURS"] = -1  # every link (and the request) is too old now
    assert requests.ask_for_space(nora, **asked(work_email="n@northwind.example")).id


@pytest.mark.parametrize("case", ["forged", "cut", "expired", "other purpose"])
def test_a_bad_link_is_a_clear_400_and_changes_nothing(app, client, make_user, case):
    made = requests.ask_for_space(make_user("nora"), **asked())
    link = link_of(made)
    if case == "forged":
        link = "/companies/requests/confirm/" + tokens.sign(
            tokens.COMPANY_REQUEST, [made.id, "evil@northwind.example"])
    elif case == "cut":
        link = link[:-6]
    elif case == "expired":
        app.config["CONFIRM_EMAIL_HOURS"] = -1
    else:
        link = "/companies/requests/confirm/" + tokens.sign(
            tokens.CONFIRM_EMAIL, [made.id, made.work_email])
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "This link" in page and ("not valid" in page or "expired" in page)
    assert the_request().status == "awaiting_email"


def test_admins_hear_of_a_proved_request_and_approve_it(client, auth, admin, make_user,
                                                        notify, smtp, send):
    nora = make_user("nora")
    found = requests.ask_for_space(nora, **asked())
    client.post(link_of(found))
    notify()
    assert heard(admin) == [events.COMPANY_REQUEST_CONFIRMED]
    send()
    [told] = [m for m in smtp.inbox.to("root@example.com")]
    assert "Northwind Coffee" in told["Subject"]
    assert any(link.endswith("/admin/requests") for link in links(told))
    auth.signin("root")
    listed = client.get("/notifications").get_data(as_text=True)
    assert "proved a work email at northwind.example" in listed
    opened = client.get(f"/notifications/{notification_id(admin)}")
    assert opened.headers["Location"] == "/admin/requests"
    page = client.get("/admin/requests").get_data(as_text=True)
    for shown in ("Northwind Coffee", "/c/northwind", "https://www.northwind.example",
                  "nora@northwind.example", "northwind.example", "account made", "Approve…",
                  "Decline…"):
        assert shown in page
    assert 'href="/admin/requests"' in page  # the admin nav
    approved = client.post(f"/admin/requests/{found.id}/approve")
    assert approved.status_code == 302
    db.session.rollback()
    company = db.session.scalar(select(Company).where(Company.slug == "northwind"))
    assert company.approved_at is not None and company.verified_domain == "northwind.example"
    assert [(m.user_id, m.role) for m in company.memberships] == [(nora.id, "owner")]
    assert the_request().status == "approved" and the_request().company_id == company.id
    twice = client.post(f"/admin/requests/{found.id}/approve")
    assert twice.status_code == 409 and "already decided" in twice.get_data(as_text=True)
    assert count(Company) == 1
    assert 'href="/c/northwind"' in client.get("/").get_data(as_text=True)
    notify()
    assert heard(nora) == [events.COMPANY_REQUEST_APPROVED]
    auth.signout()
    auth.signin("nora")
    mine = client.get("/companies/requests").get_data(as_text=True)
    assert "Approved" in mine and 'href="/c/northwind/manage"' in mine


def notification_id(user) -> int:
    row = db.session.execute(text("SELECT id FROM notifications WHERE user_id = :user"),
                             {"user": user.id}).first()
    assert row is not None
    return int(row[0])


def test_declining_takes_a_reason_the_requester_reads(client, auth, admin, make_user, notify,
                                                      smtp, send):
    nora = make_user("nora")
    found = awaiting_review(nora)
    auth.signin("root")
    silent = client.post(f"/admin/requests/{found.id}/decline", data={"note": " "})
    assert silent.status_code == 422 and the_request().status == "awaiting_review"
    declined = client.post(f"/admin/requests/{found.id}/decline",
                           data={"note": "The website is not Northwind's."})
    assert declined.status_code == 302
    found = the_request()
    assert (found.status, found.decision_note, found.decided_by_id) == (
        "declined", "The website is not Northwind's.", admin.id)
    assert client.post(f"/admin/requests/{found.id}/approve").status_code == 409
    assert client.post(f"/admin/requests/{found.id}/decline",
                       data={"note": "Again"}).status_code == 409
    assert count(Company) == 0
    notify()
    assert heard(nora) == [events.COMPANY_REQUEST_DECLINED]
    auth.signout()
    send()
    [told] = smtp.inbox.to("nora@example.com")
    body = told.get_body(("plain",)).get_content()
    assert "declined: The website is not Northwind's." in body
    assert "/companies/requests" in body
    auth.signin("nora")
    mine = client.get("/companies/requests").get_data(as_text=True)
    assert "Declined" in mine and "Why: The website is not Northwind&#39;s." in mine


def test_only_site_admins_decide_and_only_proved_requests(client, auth, make_user, admin):
    nora = make_user("nora")
    unproved = requests.ask_for_space(nora, **asked())
    auth.signin("root")
    early = client.post(f"/admin/requests/{unproved.id}/approve")
    assert early.status_code == 409 and "confirmed first" in early.get_data(as_text=True)
    assert client.post("/admin/requests/999/approve").status_code == 404
    client.post(link_of(unproved))
    auth.signout()
    auth.signin("nora")
    for path in ("/admin/requests", f"/admin/requests/{unproved.id}/approve"):
        response = client.post(path) if "approve" in path else client.get(path)
        assert response.status_code == 403
    assert the_request().status == "awaiting_review" and count(Company) == 0


def test_an_address_taken_since_the_request_is_refused_at_approval(client, auth, admin,
                                                                    make_user, make_company):
    found = awaiting_review(make_user("nora"))
    make_company("northwind", owner=make_user("sam"))
    auth.signin("root")
    response = client.post(f"/admin/requests/{found.id}/approve")
    assert response.status_code == 409
    assert "Another company already has that address." in response.get_data(as_text=True)
    assert the_request().status == "awaiting_review" and count(Company) == 1


def test_the_directory_lists_only_approved_companies_with_an_owner(client, make_company,
                                                                    make_user):
    make_company("listed", name="Listed Co", owner=make_user("nora"))
    make_company("ownerless", name="Ownerless Co")
    unapproved = make_company("pending", name="Pending Co", owner=make_user("sam"))
    unapproved.approved_at = None
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Listed Co" in page and "Ownerless Co" not in page and "Pending Co" not in page
    assert "Ask for its space" in page and 'href="/companies/request"' in page
    assert client.get("/c/ownerless").status_code == 200  # old links keep working


def test_the_admin_form_names_an_owner(client, auth, admin):
    auth.signin("root")
    page = client.get("/admin/companies/new").get_data(as_text=True)
    assert "First owner" in page
    response = client.post("/admin/companies/new", data={
        "name": "Acme", "slug": "acme", "website": "", "owner": ""})
    assert response.status_code == 422 and count(Company) == 0


def staff_at(company: Company, username: str, email: str, admin):
    user = accounts.register(username, email, PASSWORD, email_confirmed=True)
    companies.set_staff_role(admin, company, username, "team")
    return user


def test_staff_at_the_proved_domain_are_verified_next_to_official(
        client, admin, make_user, make_thread, make_reply, count_queries):
    found = awaiting_review(make_user("nora"))
    company = requests.approve_request(admin, found)
    verified = staff_at(company, "theo", "theo@support.northwind.example", admin)
    other = staff_at(company, "ines", "ines@agency.example", admin)
    thread = make_thread(company)
    make_reply(thread, author=verified, official=True)
    make_reply(thread, author=other, official=True)
    path = thread_path(company.slug, thread.id, thread.slug, thread.kind)
    with count_queries() as with_domain:
        page = client.get(path).get_data(as_text=True)
    assert page.count("Official") == 2 and page.count("✓ Verified") == 1
    assert 'title="Verified: their confirmed email is at northwind.example"' in page
    verified_post = page[page.index('id="post-2"'):page.index('id="post-3"')]
    assert "✓ Verified" in verified_post
    profile = client.get("/u/theo").get_data(as_text=True)
    assert "✓ Verified" in profile
    company.verified_domain = ""
    db.session.commit()
    with count_queries() as without:
        page = client.get(path).get_data(as_text=True)
    assert "✓ Verified" not in page
    assert len(with_domain) == len(without)  # the mark costs no statement


def test_an_unconfirmed_address_is_not_verified(app, admin, make_user):
    company = requests.approve_request(admin, awaiting_review(make_user("nora")))
    user = make_user("pat", confirmed=False)
    user.pending_email = "pat@northwind.example"
    assert not company.verifies(user)
    user.email, user.email_confirmed_at = "pat@northwind.example", None
    assert not company.verifies(user)
    user.email = "pat@notnorthwind.example"
    user.email_confirmed_at = company.approved_at
    assert not company.verifies(user)
    user.email = "pat@NORTHWIND.example"
    assert company.verifies(user)


def test_existing_companies_are_approved_by_the_migration(tmp_path, migrated_database):
    url = POSTGRES_URL and _sqlalchemy_url(POSTGRES_URL)
    database = url or f"sqlite:///{tmp_path / 'old.db'}"
    if url:
        _reset_postgres(url)
    app = create_app(make_config(database), plugins=PLUGINS)
    with app.app_context():
        upgrade(revision="0015")
        db.session.execute(text(
            "INSERT INTO companies (id, slug, name, tagline, description, website, logo_url, "
            "created_at, flag_threshold) VALUES (1, 'acme', 'Acme', '', '', '', '', "
            "'2024-05-03 10:00:00', 3)"))
        db.session.commit()
        upgrade()
        row = db.session.execute(text(
            "SELECT approved_at, verified_domain FROM companies")).one()
        assert str(row[0]).startswith("2024-05-03 10:00:00") and row[1] == ""
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
        db.session.remove()
        db.engine.dispose()
    if url:
        restore_postgres_template(url)


def test_an_idea_page_marks_the_latest_official_word_verified(client, auth, admin,
                                                              make_user, make_idea):
    company = requests.approve_request(admin, awaiting_review(make_user("nora")))
    staff_at(company, "theo", "theo@northwind.example", admin)
    idea = make_idea(company)
    auth.signin("theo")
    path = f"/c/{company.slug}/ideas/{idea.thread_id}"
    assert client.post(f"{path}/status", data={"status": "planned", "note": "In May."}
                       ).status_code == 302
    page = client.get(f"{path}-{idea.thread.slug}").get_data(as_text=True)
    start = page.index("Latest from")
    latest = page[start:page.index("</section>", start)]
    assert "In May." in latest and "✓ Verified" in latest
    assert 'aria-label="Verified: their confirmed email is at northwind.example"' in latest
