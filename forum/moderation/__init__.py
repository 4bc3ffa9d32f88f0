"""Moderation in the open: flags, the review queue, hiding and restoring with reasons."""
