"""Installed as the data-only package `graph._cypher` (pyproject.toml, package-dir), so the
schema and the named queries are found with importlib.resources from a checkout and from an
installed wheel alike (graph/core/resources.py). Nothing here is Python code."""
