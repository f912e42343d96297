"""Floor 2: briefing pictures (layout, SVG, HTML, PNG) from a snapshot; knows nothing of the database."""
