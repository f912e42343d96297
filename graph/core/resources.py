"""Where crimegraph's run-time files are, found with importlib.resources.

The same code serves from a checkout (an editable install) and from a wheel installed
anywhere: cypher/ is packaged as `graph._cypher` (pyproject.toml), the seed files inside
`seed`, the /explore page and its graph library inside `api`. Nothing is looked up relative
to a repository; settings (CRIMEGRAPH_CYPHER_DIR, CRIMEGRAPH_SEED_DIR) still override.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _directory(package: str, *parts: str) -> Path:
    # pip installs wheels unpacked, so a package's files are real files on disk; code below
    # reads them with Path (globbing, FileResponse), hence a Path rather than a Traversable.
    return Path(str(files(package).joinpath(*parts)))


def cypher_dir() -> Path:
    """schema/ and queries/{read,write}/ (and the Browser's guide.md and browser/style.grass)."""
    return _directory("graph._cypher")


def seed_dir() -> Path:
    """data/*.yaml and documents/*.txt of the seed dataset."""
    return _directory("seed")


def explore_dir() -> Path:
    """The /explore page, its script and stylesheet."""
    return _directory("api", "static", "explore")


def explore_vendor_dir() -> Path:
    """The /explore page's graph library (Cytoscape.js), put there by `npm ci --prefix
    tools/explore` (its postinstall step) and packaged into the wheel; never committed."""
    return explore_dir() / "vendor"
