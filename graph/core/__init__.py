"""Floor 0: what every layer uses (errors, settings, where files are, text normalisation)."""
