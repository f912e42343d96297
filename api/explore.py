"""/explore: a small page that runs the named read queries and draws the result as a graph.

The embedded default has no Neo4j Browser; this page is the analysts' view instead. It is
plain JavaScript over the API (`/api/v1/queries`, `/api/v1/queries/{name}/graph`,
`/api/v1/entities`), with no build step and nothing fetched from a CDN:

- our own files come from api/static/explore/ (only the names listed in ASSETS);
- the graph library (Cytoscape.js) comes from api/static/explore/vendor/, where
  `npm ci --prefix tools/explore` puts npm's prebuilt bundle (never committed; the wheel
  carries it); when it is missing the page still loads and says so.

Both are found with importlib.resources (graph.core.resources), so an installed wheel serves them.

Every response carries a strict Content-Security-Policy: scripts, styles and connections
from this origin only, no inline script or style.

The page and its script, stylesheet and library are public (they hold no data); every data
call needs a viewer key, which the page asks for and keeps in the tab's sessionStorage
(or takes once from `#key=cg_...` in the address, then removes it from the address).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from api.deps import ModelDep
from api.security import PUBLIC_ROUTE, VIEWER
from graph.briefing.palette import (
    FALLBACK_STYLE,
    LINK_COLOUR,
    LINK_CONTRADICTED_COLOUR,
    LOW_CONFIDENCE,
    STYLES,
    relationship_caption,
)
from graph.briefing.render import CREDIBILITY, RELIABILITY
from graph.core.errors import NotFound
from graph.core.resources import explore_dir, explore_vendor_dir

router = APIRouter(include_in_schema=False)

STATIC_DIR = explore_dir()
VENDOR_DIR = explore_vendor_dir()
INSTALL_HINT = "npm ci --prefix tools/explore"

# URL name -> media type; nothing else under STATIC_DIR is served.
ASSETS = {
    "explore.js": "text/javascript; charset=utf-8",
    "explore.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
# URL name -> file under VENDOR_DIR (tools/explore/package.json copies npm's prebuilt
# browser bundle there under this name).
VENDOR = {"cytoscape.min.js": "cytoscape.min.js"}

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
# index.html holds this notice with the `hidden` attribute; the page shows it when the
# bundle is missing (the server knows at once; explore.js also checks in the browser).
_NOTICE_HIDDEN = '<div id="vendor-missing" class="notice" role="alert" hidden>'
_NOTICE_SHOWN = '<div id="vendor-missing" class="notice" role="alert">'


def vendor_path(name: str) -> Path:
    return VENDOR_DIR / VENDOR[name]


def vendor_installed() -> bool:
    return all(vendor_path(name).is_file() for name in VENDOR)


@router.get("/explore", response_class=HTMLResponse, dependencies=PUBLIC_ROUTE)
def explore_page() -> HTMLResponse:
    """The page itself; it loads /explore/assets/* and /explore/vendor/*."""
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    if not vendor_installed():
        html = html.replace(_NOTICE_HIDDEN, _NOTICE_SHOWN)
    return HTMLResponse(html, headers=HEADERS)


@router.get("/explore/styles.json", dependencies=VIEWER)
def explore_styles(model: ModelDep) -> JSONResponse:
    """How the page draws nodes and links: graph.briefing.palette, the styles of the briefing pictures
    and the Neo4j Browser (most specific label first); the graph and its legend are both
    drawn from this. Also the words for the Admiralty grading."""
    body: dict[str, Any] = {
        "root": model.root_label,
        "styles": [
            {"label": label, "shape": s.shape, "fill": s.fill, "stroke": s.stroke}
            for label, s in STYLES.items()
        ],
        "fallback": {
            "shape": FALLBACK_STYLE.shape,
            "fill": FALLBACK_STYLE.fill,
            "stroke": FALLBACK_STYLE.stroke,
        },
        "links": {
            "colour": LINK_COLOUR,
            "contradicted": LINK_CONTRADICTED_COLOUR,
            "low_confidence": LOW_CONFIDENCE,
            "captions": {t: relationship_caption(t) for t in model.relationship_types},
        },
        "reliability": RELIABILITY,
        "credibility": {str(k): v for k, v in CREDIBILITY.items()},
    }
    return JSONResponse(body, headers=HEADERS)


@router.get("/explore/assets/{name}", response_class=FileResponse, dependencies=PUBLIC_ROUTE)
def explore_asset(name: str) -> FileResponse:
    """Our own script and stylesheet, by exact name (no paths, so no traversal)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"no explore asset named {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=HEADERS)


@router.get("/explore/vendor/{name}", response_class=FileResponse, dependencies=PUBLIC_ROUTE)
def explore_vendor(name: str) -> FileResponse:
    """The graph library's prebuilt bundle (api/static/explore/vendor/, from npm)."""
    if name not in VENDOR:
        raise NotFound(f"no explore vendor file named {name!r}")
    path = vendor_path(name)
    if not path.is_file():
        raise NotFound(
            f"{name} is not installed: run `{INSTALL_HINT}`",
            details=[{"file": f"api/static/explore/vendor/{VENDOR[name]}", "fix": INSTALL_HINT}],
        )
    return FileResponse(path, media_type="text/javascript; charset=utf-8", headers=HEADERS)
