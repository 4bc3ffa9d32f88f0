"""The discussion engine: categories, threads and posts, shared by every kind of thread."""
