"""Ideas: the product lifecycle on top of the forum's threads."""
