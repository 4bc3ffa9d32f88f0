"""The ceiling: a bare Flask app that pages.py serves with the very same gunicorn command.

Each Cocreate page's requests/s is reported as a share of this one's.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
