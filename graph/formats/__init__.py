"""Floor 5: exchange formats, one module per format, each reading and writing it."""
