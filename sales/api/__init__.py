"""The REST API under /api/: the same records, verbs and visibility rules as the pages."""
