"""Companies, the directory and staff management, through the web."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.companies.models import Company, Membership
from forum.extensions import db
from tests.helpers import reload


def new_company_form(**overrides):
    return {"name": "Acme Rockets", "slug": "acme", "tagline": "Up we go",
            "description": "We build rockets.", "website": "https://acme.example",
            "logo_url": "", "owner": "nora"} | overrides


def test_directory_lists_companies_and_links_to_them(client, make_company, make_user):
    # Companies are listed once they have an owner (17.7: spaces only by consent).
    owner = make_user("nora")
    make_company("zeta", name="Zeta", tagline="Last but not least", owner=owner)
    make_company("alpha", name="Alpha", owner=owner)
    page = client.get("/").get_data(as_text=True)
    assert page.index("Alpha") < page.index("Zeta")
    assert 'href="/c/zeta"' in page and "Last but not least" in page


def test_company_page_shows_details_and_team(client, make_company, make_user):
    owner = make_user("nora", display_name="Nora")
    make_company("northwind", name="Northwind", owner=owner, description="Coffee things")
    page = client.get("/c/northwind").get_data(as_text=True)
    assert "Northwind" in page and "Coffee things" in page and "Nora" in page


def test_unknown_company_is_404(client):
    assert client.get("/c/nope").status_code == 404


def test_site_admin_creates_a_company_with_an_owner(client, auth, admin, make_user):
    make_user("nora")
    auth.signin("root")
    response = client.post("/admin/companies/new", data=new_company_form(owner="nora"))
    assert response.status_code == 302
    company = db.session.scalar(select(Company).where(Company.slug == "acme"))
    assert company is not None and company.website == "https://acme.example"
    assert [(m.user.username, m.role) for m in company.memberships] == [("nora", "owner")]


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"slug": "Not A Slug!"}, 422, "Slugs are lower-case"),
        ({"slug": "admin"}, 422, "Slugs are lower-case"),
        ({"name": ""}, 422, "This field is required."),
        ({"website": "javascript:alert(1)"}, 422, "Websites start with http"),
        ({"owner": "ghost"}, 422, "There is no one with that username."),
        ({"owner": ""}, 422, "This field is required."),  # 17.7: a space has an owner
        ({"name": "x" * 81}, 422, "80"),
    ],
)
def test_company_form_refuses_bad_input(client, auth, admin, make_user, overrides, status,
                                        message):
    make_user("nora")
    auth.signin("root")
    response = client.post("/admin/companies/new", data=new_company_form(**overrides))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Company.id)) is None


def test_duplicate_slug_is_refused(client, auth, admin, make_company, make_user):
    make_user("nora")
    make_company("acme")
    auth.signin("root")
    response = client.post("/admin/companies/new", data=new_company_form())
    assert response.status_code == 422
    assert "already has that address" in response.get_data(as_text=True)


def test_only_site_admins_reach_admin_pages(client, auth, make_user):
    make_user("alice")
    auth.signin("alice")
    assert client.get("/admin/").status_code == 403
    assert client.post("/admin/companies/new", data=new_company_form()).status_code == 403
    assert db.session.scalar(select(Company.id)) is None


def test_owner_adds_changes_and_removes_staff(client, auth, make_user, make_company):
    owner = make_user("nora")
    company = make_company("northwind", owner=owner)
    make_user("theo")
    auth.signin("nora")
    assert client.post("/c/northwind/manage/staff",
                       data={"username": "THEO", "role": "team"}).status_code == 302
    assert client.post("/c/northwind/manage/staff",
                       data={"username": "theo", "role": "moderator"}).status_code == 302
    reload(company)
    roles = {m.user.username: m.role for m in company.memberships}
    assert roles == {"nora": "owner", "theo": "moderator"}
    theo = next(m for m in company.memberships if m.user.username == "theo")
    page = client.get("/c/northwind/manage/staff").get_data(as_text=True)
    assert "Take theo off the staff? They lose their moderator role at once." in page
    assert 'aria-label="Remove theo from the staff"' in page
    client.post(f"/c/northwind/manage/staff/{theo.id}/remove")
    reload(company)
    assert [m.user.username for m in company.memberships] == ["nora"]


def test_unknown_role_and_unknown_user_are_refused(client, auth, make_user, make_company):
    make_company("northwind", owner=make_user("nora"))
    auth.signin("nora")
    response = client.post("/c/northwind/manage/staff", data={"username": "nora",
                                                             "role": "emperor"})
    assert response.status_code == 422
    response = client.post("/c/northwind/manage/staff", data={"username": "ghost",
                                                             "role": "team"})
    assert response.status_code == 422
    assert "There is no one with that username." in response.get_data(as_text=True)


def test_last_owner_cannot_be_removed(client, auth, make_user, make_company):
    company = make_company("northwind", owner=make_user("nora"))
    auth.signin("nora")
    membership = company.memberships[0]
    response = client.post(f"/c/northwind/manage/staff/{membership.id}/remove",
                           follow_redirects=True)
    assert "at least one owner" in response.get_data(as_text=True)
    assert db.session.scalar(select(Membership.id).where(Membership.id == membership.id))


@pytest.mark.parametrize("role", ["team", "moderator"])
def test_team_and_moderators_cannot_manage_staff(client, auth, make_company, make_staff, role):
    company = make_company("northwind")
    member = make_staff(company, role)
    auth.signin(member.username)
    assert client.get("/c/northwind/manage").status_code == 200
    assert client.get("/c/northwind/manage/staff").status_code == 403
    assert client.post("/c/northwind/manage/staff",
                       data={"username": member.username, "role": "owner"}).status_code == 403


def test_an_owner_has_no_power_at_another_company(client, auth, make_user, make_company):
    make_company("mine", owner=make_user("nora"))
    other = make_company("theirs", owner=make_user("sam"))
    auth.signin("nora")
    their_owner = other.memberships[0]
    assert client.get("/c/theirs/manage").status_code == 403
    assert client.post("/c/theirs/manage/staff",
                       data={"username": "nora", "role": "owner"}).status_code == 403
    # An id from another company in our own URL does not reach it either.
    client.post(f"/c/mine/manage/staff/{their_owner.id}/remove")
    reload(other)
    assert [m.user.username for m in other.memberships] == ["sam"]
    assert client.post("/c/theirs/manage/settings",
                       data={"name": "Pwned", "tagline": "", "description": "",
                             "website": ""}).status_code == 403
    reload(other)
    assert other.name == "Theirs"


def test_owner_edits_company_details(client, auth, make_user, make_company):
    company = make_company("northwind", owner=make_user("nora"))
    auth.signin("nora")
    response = client.post("/c/northwind/manage/settings", data={
        "name": "Northwind Coffee", "tagline": "Espresso", "description": "Hi",
        "website": "https://nw.example", "logo_url": ""})
    assert response.status_code == 302
    reload(company)
    assert (company.name, company.tagline, company.website) == (
        "Northwind Coffee", "Espresso", "https://nw.example")


def test_the_directory_is_paginated_alphabetically(client, make_company, make_user):
    owner = make_user("nora")  # only companies with an owner are listed (17.7)
    for number in range(30):
        make_company(f"maker{number:02d}", name=f"Maker {number:02d}", owner=owner)
    first = client.get("/").get_data(as_text=True)
    assert "Maker 00" in first and "Maker 23" in first and "Maker 24" not in first
    assert 'rel="next" href="/?page=2"' in first and "Next →" in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Maker 24" in second and "Maker 29" in second and "Maker 23" not in second
    assert 'rel="prev" href="/?page=1"' in second
    assert client.get("/?page=abc").status_code == 200  # an unreadable page is page 1
