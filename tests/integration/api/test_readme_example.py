"""The README's curl example works: each command, run against the app as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from tests.integration.api.conftest import ApiWorld

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- api-example:", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line) for line in block.splitlines() if line.startswith("curl ")]


def test_the_readme_curl_example_works(client: FlaskClient, api_world: ApiWorld) -> None:
    commands = readme_commands()
    assert len(commands) == 2
    answers = []
    for words in commands:
        method, headers, data, url = "GET", {}, None, ""
        words = iter(words[1:])
        for word in words:
            if word == "-X":
                method = next(words)
            elif word == "-H":
                name, value = next(words).split(": ", 1)
                headers[name] = value.replace("$TOKEN", api_world.customer_token)
            elif word == "-d":
                data = next(words)
            elif word != "-s":
                url = word
        parts = urlsplit(url.replace("northwind", "acme"))
        assert re.fullmatch(r"/api/v1/.*", parts.path)
        answers.append(client.open(parts.path, method=method, headers=headers, data=data,
                                   query_string=parts.query))
    assert answers[0].status_code == 200 and "items" in answers[0].get_json()
    assert answers[1].status_code == 201
    assert answers[1].get_json()["title"] == "Oat milk at every shop"
