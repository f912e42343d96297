"""Floor 6: investigation: link questions, analytics, search, snapshots."""
