"""Companies and their staff."""
