"""Idea pages. The blueprint is registered by forum's app factory."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ideas", __name__)
