"""Search: a Whoosh index derived from the database, following the event log."""
