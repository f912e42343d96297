"""The top floor: the crimegraph command line, over the same services the API uses."""
