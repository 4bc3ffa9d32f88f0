"""Accounts: one person, one account across every company."""
