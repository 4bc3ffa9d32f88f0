"""Importing ideas, votes and comments from a CSV file: ours (docs/importing.md) or the
CSV export of Fider's admin ("Export posts to CSV").

Reading is pure (`reading`, `formats`): bytes in, drafts and every wrong row out. The
plan (`planning`) checks the drafts against the company (its statuses, its tags, the
accounts the addresses belong to) without writing. The import (`writing`) writes the
plan in bulk, a thousand ideas a statement, inside one write transaction: all or
nothing.
"""
