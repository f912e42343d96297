"""Floor 7: growing the graph: imports, ingest of documents, linking, entity resolution, contradictions."""
