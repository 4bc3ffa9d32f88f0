"""Closing the loop: people follow what they care about and hear of every outcome.

The notifier is a reader of the event log (forum/events): for each event it finds who
follows the thing it concerns, and writes one notification per person in the same
transaction that moves its cursor, so each person hears of each event exactly once.
"""
