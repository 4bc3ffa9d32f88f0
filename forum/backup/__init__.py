"""Backups of the whole database, and restoring one: `flask backup create | restore`.

SQLite is copied with its online backup API (a consistent snapshot while the app keeps
writing); PostgreSQL with `pg_dump --format=custom`, restored with `pg_restore` through
`psql` in one transaction. A backup is written under a temporary name and renamed when
complete. A restore checks the file first, migrates it forward when it is older than the
code, makes every kept page stale and rebuilds the search index (derived data).
"""
