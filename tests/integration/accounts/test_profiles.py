"""Public profiles and profile settings."""

from __future__ import annotations

from tests.helpers import reload


def test_public_profile_shows_name_bio_and_staff_roles(client, make_user, make_company):
    owner = make_user("nora", display_name="Nora L", bio="Grinder fan")
    make_company("northwind", name="Northwind", owner=owner)
    page = client.get("/u/NORA").get_data(as_text=True)
    assert "Nora L" in page and "Grinder fan" in page
    assert "Owner at Northwind" in page


def test_unknown_profile_is_a_friendly_404(client):
    response = client.get("/u/nobody")
    assert response.status_code == 404
    assert "There is no one by that name here." in response.get_data(as_text=True)


def test_edit_profile(client, auth, make_user):
    user = make_user("alice")
    auth.signin("alice")
    response = client.post("/settings/profile",
                           data={"display_name": "  Alice   Liddell ", "bio": "Hello"})
    assert response.status_code == 302
    reload(user)
    assert (user.display_name, user.bio) == ("Alice Liddell", "Hello")


def test_over_long_bio_is_refused_and_nothing_saved(client, auth, make_user):
    user = make_user("alice", bio="kept")
    auth.signin("alice")
    response = client.post("/settings/profile", data={"display_name": "", "bio": "x" * 1001})
    assert response.status_code == 422
    assert "1000" in response.get_data(as_text=True)
    reload(user)
    assert user.bio == "kept"


def test_bio_is_escaped(client, make_user):
    make_user("mallory", bio="<script>alert(1)</script>")
    page = client.get("/u/mallory").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
