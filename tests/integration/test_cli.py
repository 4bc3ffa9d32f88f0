"""Operator commands."""

from __future__ import annotations

from sqlalchemy import func, select

from forum import demo
from forum.accounts.models import User
from forum.companies.models import Company, Membership
from forum.extensions import db
from forum.moderation.models import WatchedWord
from forum.threads.models import Post


def test_create_admin(runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "boss",
                                 "--email", "boss@example.com"],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "boss"))
    assert user is not None and user.is_site_admin


def test_create_admin_explains_a_refusal(runner, make_user):
    make_user("boss")
    result = runner.invoke(args=["users", "create-admin", "--username", "BOSS",
                                 "--email", "other@example.com"],
                           input="a long password\na long password\n")
    assert result.exit_code == 1
    assert "That username is taken." in result.output


def test_demo_load_fills_an_empty_database(runner, client):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo sign-in: maya" in result.output
    assert db.session.scalar(select(func.count()).select_from(Company)) >= 3
    staffed = db.session.scalar(select(func.count(func.distinct(Membership.company_id))))
    assert staffed == len(demo.COMPANIES)
    page = client.get("/").get_data(as_text=True)
    assert all(spec["name"] in page for spec in demo.COMPANIES if not spec.get("private"))
    assert "Northwind Labs" not in page  # private: its staff and guests see it
    assert client.get("/c/northwind-labs").status_code == 404
    roadmap = client.get("/c/tandem/roadmap").get_data(as_text=True)  # its own statuses
    assert ">Next season</span>" in roadmap and ">Road testing</span>" in roadmap
    assert db.session.scalar(select(WatchedWord.phrase)) == "crypto"  # Lumen holds it
    assert db.session.scalar(select(func.count()).select_from(Post).where(
        Post.hidden_at.is_not(None))) == 0  # no demo post is held by it
    signin = client.post("/signin", data={"login": "maya", "password": demo.PASSWORD})
    assert signin.status_code == 302


def test_demo_load_refuses_a_database_with_data(runner, make_user):
    make_user("alice")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert runner.invoke(args=["demo", "load", "--if-empty"]).exit_code == 0


def test_the_demo_customers_have_news_from_several_companies(runner, client):
    result = runner.invoke(args=["demo", "load"])
    assert "notifications between them" in result.output
    client.post("/signin", data={"login": "maya", "password": demo.PASSWORD})
    home = client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications: 0 unread"' not in home
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('class="notification unread"') >= 2
    companies = {spec["name"] for spec in demo.COMPANIES if spec["name"] in page}
    assert len(companies) >= 2, page
    home = client.get("/home").get_data(as_text=True)
    following = home[home.index("Companies you follow"):]
    assert "Northwind Coffee" in following and "Lumen Notes" in following
