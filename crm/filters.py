"""What the list filters share, and with them every lookup of a record by an id from a request."""

# Ids beyond a 64-bit integer would make the database driver raise instead of finding nothing.
MAX_ID = 2**63 - 1
