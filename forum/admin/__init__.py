"""Site administration: companies and accounts."""
