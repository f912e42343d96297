"""crimegraph's HTTP API (FastAPI)."""
