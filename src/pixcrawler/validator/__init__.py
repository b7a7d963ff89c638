"""Image integrity checks and deduplication."""
