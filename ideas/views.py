"""Idea pages. The blueprint is registered by forum's app factory."""

from __future__ import annotations

from flask import Blueprint

from ideas import models

bp = Blueprint("ideas", __name__)
assert models.Idea.__tablename__ == "ideas"
