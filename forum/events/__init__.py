"""The event log: one row for everything that changes what people can see, read by many.

Services call `record(...)` inside their `write_transaction()`, so an event exists exactly
when its change was committed. Consumers (the search indexer, and later notifications
and webhooks) read the log in id order, each remembering how far it has read.
"""
