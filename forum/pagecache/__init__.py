"""Pages for signed-out visitors, kept until the next write changes the content version."""
