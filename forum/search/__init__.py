"""Search: a Whoosh index derived from the database, fed by a transactional outbox."""
