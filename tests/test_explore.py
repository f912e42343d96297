"""/explore: the analysts' graph page on the embedded default (no Neo4j Browser there).

The page, its own assets and the graph library's bundle are served by api/explore.py with a
strict Content-Security-Policy and nothing from a CDN; the end-to-end test serves the real
app over HTTP, loads the page in headless Chromium and checks that the seed graph is drawn.
The screenshot goes to test-artifacts/explore.png (gitignored) for a person to look at.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from api import explore
from api.app import create_app
from graph.access.auth import KeyStore, Role
from graph.briefing.palette import STYLES
from graph.core.settings import REPO_ROOT, Settings
from graph.db.store import Store
from tests import browser
from tests.images import count_colour, png_pixels
from tests.test_api import assert_error_shape

ARTIFACTS = REPO_ROOT / "test-artifacts"
VENDOR_URL = "/explore/vendor/cytoscape.min.js"
WINDOW = (1400, 1050)


def with_explore(app: FastAPI) -> FastAPI:
    """The app with the explore router, whether or not api/app.py includes it already."""
    if not any(getattr(route, "path", None) == "/explore" for route in app.routes):
        app.include_router(explore.router)
    return app


@pytest.fixture
def api(client: TestClient) -> TestClient:
    with_explore(client.app)  # type: ignore[arg-type]
    return client


def require_vendor() -> None:
    if not explore.vendor_installed():
        pytest.fail(
            f"the graph library is not installed ({explore.VENDOR_DIR} is missing): "
            f"run `{explore.INSTALL_HINT}` (make test does)"
        )


def csp_directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


# --- the routes ---------------------------------------------------------------------------


def test_the_page_is_html_with_a_strict_content_security_policy(api: TestClient) -> None:
    response = api.get("/explore")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = csp_directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    html = re.sub(r"<!--.*?-->", "", response.text, flags=re.DOTALL)
    # No inline script or style, and nothing from another origin.
    assert re.findall(r"<script\b[^>]*>", html) == [
        f'<script src="{VENDOR_URL}" defer>',
        '<script src="/explore/assets/explore.js" defer>',
    ]
    assert "<style" not in html and " style=" not in html and "javascript:" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    # Accessible: every input, select and textarea of the page has a label.
    for control_id in re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', html):
        assert f'for="{control_id}"' in html, f"#{control_id} has no <label>"


def test_own_assets_load_with_their_types(api: TestClient) -> None:
    for name, kind in (("explore.js", "javascript"), ("explore.css", "text/css")):
        response = api.get(f"/explore/assets/{name}")
        assert response.status_code == 200, name
        assert kind in response.headers["content-type"]
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.content == (explore.STATIC_DIR / name).read_bytes()
    script = api.get("/explore/assets/explore.js").text
    assert ".innerHTML" not in script and "eval(" not in script  # data stays text
    assert "/api/v1/queries?mode=read" in script


def test_the_styles_are_the_briefing_styles(api: TestClient) -> None:
    body = api.get("/explore/styles.json").json()
    assert body["root"] == "Entity"
    labels = [s["label"] for s in body["styles"]]
    assert labels.index("Escape") < labels.index("Event")  # most specific first
    assert body["reliability"]["B"] and body["credibility"]["2"]


def test_the_vendor_bundle_loads_as_javascript(api: TestClient) -> None:
    require_vendor()
    response = api.get(VENDOR_URL)
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert len(response.content) > 100_000 and b"cytoscape" in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/explore/assets/index.html",  # present on disk, but not an asset
        "/explore/assets/nope.js",
        "/explore/assets/explore.py",
        "/explore/vendor/cytoscape.js",
        "/explore/vendor/package.json",
    ],
)
def test_unknown_names_are_404_in_the_error_shape(api: TestClient, path: str) -> None:
    assert_error_shape(api.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/explore/assets/..%2F..%2Fexplore.py",
        "/explore/assets/..%2F..%2F..%2Fpyproject.toml",
        "/explore/assets/%2E%2E%2Fexplore.py",
        "/explore/assets/..%5Cexplore.py",
        "/explore/assets/%2E%2E",
        "/explore/vendor/..%2Fcytoscape%2Fpackage.json",
        "/explore/vendor/..%2F..%2F..%2F..%2Fgraph%2Fsettings.py",
    ],
)
def test_path_traversal_is_refused(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert b"REPO_ROOT" not in response.content and b"[project]" not in response.content


def test_without_the_bundle_the_page_still_loads_and_says_what_to_run(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(explore, "VENDOR_DIR", tmp_path / "node_modules")
    page = api.get("/explore")
    assert page.status_code == 200
    notice = page.text[page.text.index('<div id="vendor-missing"') :]
    notice = notice[: notice.index("</div>")]
    assert " hidden>" not in notice.split("\n", 1)[0], "the notice must be visible"
    assert "npm ci --prefix tools/explore" in notice
    error = assert_error_shape(api.get(VENDOR_URL), 404, "not_found")
    assert "npm ci --prefix tools/explore" in str(error["message"])


def test_with_the_bundle_the_notice_is_hidden(api: TestClient) -> None:
    require_vendor()
    assert (
        '<div id="vendor-missing" class="notice" role="alert" hidden>' in api.get("/explore").text
    )


# --- end to end in headless Chromium ------------------------------------------------------


# An element still hidden (Chromium writes the attribute as hidden="").
HIDDEN = r'<div id="{id}" class="\w+" role="alert" hidden(="")?>'


def between(text: str, start: str, end: str) -> str:
    first = text.index(start)
    return text[first : text.index(end, first)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def viewer_token(seeded_store: Store) -> str:
    """The page needs a key for its data calls; a viewer's is enough."""
    _, token = KeyStore(seeded_store, ttl=0).create("explore test", Role.VIEWER)
    return token


# What the served app answered, per base URL: (method, path, status) in order.
SEEN: dict[str, list[tuple[str, str, int]]] = {}


@pytest.fixture
def served(seeded_store: Store, settings: Settings) -> Iterator[str]:
    """The real app (test engine, seed graph) over HTTP on a free loopback port; every
    request it answers is recorded in SEEN[base]."""
    port = free_port()
    app = with_explore(create_app(settings))
    seen: list[tuple[str, str, int]] = []

    @app.middleware("http")
    async def record(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        seen.append((request.method, request.url.path, response.status_code))
        return response

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    SEEN[base] = seen
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the app did not become ready on its test port")
            time.sleep(0.1)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def chromium(url: str, profile: Path, *mode: str) -> str:
    return browser.chromium(url, profile, WINDOW, "--virtual-time-budget=10000", *mode)


def test_the_page_draws_the_seed_graph_in_chromium(
    served: str, viewer_token: str, tmp_path: Path
) -> None:
    browser.require_chromium()
    require_vendor()
    # The key goes in the fragment, which the browser never sends: the page moves it to
    # sessionStorage, drops it from the address, and sends it as X-API-Key.
    url = f"{served}/explore#key={viewer_token}"

    dom = chromium(url, tmp_path / "dom", "--dump-dom")
    # The default query (entity_links, header example: Mohamed Amra) ran and was drawn.
    status = re.search(r'<p id="status"[^>]*>([^<]*)</p>', dom)
    assert status, dom[:2000]
    drawn = re.search(r"(\d+) nodes?, (\d+) links?", status.group(1))
    assert drawn, status.group(1)
    nodes, links = int(drawn.group(1)), int(drawn.group(2))
    assert nodes >= 4 and links >= 3, status.group(1)
    assert "entity_links" in status.group(1)
    assert f'data-drawn="{nodes} nodes, {links} links"' in dom, "Cytoscape did not lay it out"
    assert "<canvas" in dom
    assert re.search(HIDDEN.format(id="error"), dom), "the page showed an error"
    assert re.search(HIDDEN.format(id="vendor-missing"), dom), "the page misses the bundle"
    # The rows table, the legend and the evidence of the entity asked about.
    table = between(dom, '<table id="rows-table">', "</table>")
    assert table.count("<tr>") >= 5  # a header and a row per link
    assert "Mohamed Amra" in table and "INVOLVED" in table
    legend = between(dom, '<ul id="legend"', "</ul>")
    assert "Person" in legend and "Escape" in legend
    details = between(dom, '<aside id="details"', "</aside>")
    assert "Mohamed Amra" in details and "<blockquote>" in details
    assert "Sources (1)" in details and "document-seed-004" in details
    # The query picker lists the read queries only, with the example parameters filled in.
    assert '<option value="entity_links">' in dom and '<option value="upsert_nodes">' not in dom
    assert 'id="param-id"' in dom and 'id="param-limit"' in dom
    key_id = viewer_token.split("_")[1]
    assert f"using key {key_id}" in dom and viewer_token.split("_")[2] not in dom

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "explore.png"
    shot.unlink(missing_ok=True)
    chromium(url, tmp_path / "shot", f"--screenshot={shot}")
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == WINDOW
    assert len(set(pixels)) > 64, "the screenshot is blank"
    # The nodes were painted on the canvas, not only listed in the legend (a swatch is about
    # 12 x 12 pixels; the nodes of Mohamed Amra and his two arrests are several times that).
    styles_json = httpx.get(f"{served}/explore/styles.json", headers={"X-API-Key": viewer_token})
    styles = {s["label"]: s for s in styles_json.json()["styles"]}
    person = count_colour(pixels, styles["Person"]["fill"])
    arrest = count_colour(pixels, styles["Arrest"]["fill"])
    assert person > 300 and arrest > 200, f"nodes not drawn? ({person}, {arrest} pixels)"


def test_the_page_is_public_but_its_data_needs_a_key(api: TestClient) -> None:
    anonymous = TestClient(api.app)
    for path in ("/explore", "/explore/assets/explore.js", "/explore/assets/explore.css"):
        assert anonymous.get(path).status_code == 200, path
    for path in ("/explore/styles.json", "/api/v1/queries?mode=read"):
        assert_error_shape(anonymous.get(path), 401, "unauthenticated")
    page = anonymous.get("/explore").text
    assert 'id="key-input"' in page and 'type="password"' in page


# --- the canvas (issue 15): built step by step, shared by its address ------------------------

NETWORK = "criminalnetwork-organized-crime-networks-d2d233f5"


def canvas_url(base: str, token: str, start: str, expand: list[str]) -> str:
    params = json.dumps({"id": start, "limit": 100}, separators=(",", ":"))
    return (
        f"{base}/explore#key={token}&query=entity_links&params={quote(params)}"
        f"&expand={','.join(expand)}"
    )


def on_canvas(dom: str) -> dict[str, str]:
    """The canvas's text alternative: entity id -> on screen ("yes"/"no")."""
    listing = between(dom, '<ul id="canvas-list">', "</ul>")
    return dict(re.findall(r'<li data-id="([^"]+)" data-on-screen="(yes|no)">', listing))


def neighbourhood(base: str, token: str, entity_id: str) -> set[str]:
    answer = httpx.post(
        f"{base}/api/v1/queries/entity_links/graph",
        json={"id": entity_id, "limit": 25},
        headers={"X-API-Key": token},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {n["id"] for n in answer.json()["graph"]["nodes"] if "Document" not in n["labels"]}


def assert_quiet(base: str, console: list[str]) -> None:
    """No console message, and no request the server refused or could not find."""
    assert not console, console
    refused = [seen for seen in SEEN[base] if seen[2] >= 400]
    assert not refused, refused


def test_expanding_two_nodes_adds_both_neighbourhoods_to_the_canvas(
    served: str, viewer_token: str, tmp_path: Path
) -> None:
    browser.require_chromium()
    require_vendor()
    # The network's links (its attacks), then two of its attacks expanded: each brings
    # entities the first picture did not have (the prisons attacked, ...).
    first = neighbourhood(served, viewer_token, NETWORK)
    grown = {}
    for entity_id in sorted(first - {NETWORK}):
        new = neighbourhood(served, viewer_token, entity_id) - first - set().union(*grown.values())
        if new:
            grown[entity_id] = neighbourhood(served, viewer_token, entity_id)
        if len(grown) == 2:
            break
    assert len(grown) == 2, "the seed must have two neighbours that bring new entities"
    url = canvas_url(served, viewer_token, NETWORK, list(grown))
    dom, console = browser.chromium_with_console(
        url, tmp_path / "dom", WINDOW, "--virtual-time-budget=15000", "--dump-dom"
    )
    shown = on_canvas(dom)
    # Expanding added to the canvas: the first picture stays (the issue saw the Extradition
    # node disappear when a neighbour was expanded), and both expanded neighbourhoods are
    # there, every entity on screen.
    wanted = first.union(*grown.values())
    assert wanted <= set(shown), sorted(wanted - set(shown))
    off_screen = sorted(i for i in wanted if shown[i] != "yes")
    assert not off_screen, off_screen
    drawn = re.search(r'data-drawn="(\d+) nodes, (\d+) links"', dom)
    assert drawn and int(drawn.group(1)) == len(shown) >= len(wanted)
    assert "2 entities expanded" in dom
    assert re.search(HIDDEN.format(id="error"), dom), "the page showed an error"
    # The address still holds the canvas (a link to share): checked by the status and list.
    assert_quiet(served, console)


def test_the_first_screen_with_a_key_shows_no_error(
    served: str, viewer_token: str, tmp_path: Path
) -> None:
    browser.require_chromium()
    require_vendor()
    url = f"{served}/explore#key={viewer_token}"
    dom, console = browser.chromium_with_console(
        url, tmp_path / "dom", WINDOW, "--virtual-time-budget=10000", "--dump-dom"
    )
    assert re.search(HIDDEN.format(id="error"), dom), "the page showed an error"
    assert re.search(r'<div id="key-prompt" class="prompt" hidden', dom)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "explore-first-screen.png"
    shot.unlink(missing_ok=True)
    browser.chromium(
        url, tmp_path / "shot", WINDOW, "--virtual-time-budget=10000", f"--screenshot={shot}"
    )
    _, _, pixels = png_pixels(shot.read_bytes())
    # The error box's background (explore.css .error): not a pixel of it on the first screen.
    assert count_colour(pixels, "#ffebe9") == 0, "an error box is on the first screen"
    assert count_colour(pixels, STYLES["Person"].fill) > 300, "the default query was not drawn"
    assert_quiet(served, console)


def test_before_a_key_the_page_asks_for_one_and_calls_nothing(served: str, tmp_path: Path) -> None:
    browser.require_chromium()
    require_vendor()
    dom, console = browser.chromium_with_console(
        f"{served}/explore", tmp_path / "dom", WINDOW, "--virtual-time-budget=5000", "--dump-dom"
    )
    prompt = between(dom, '<div id="key-prompt"', "</div>")
    assert " hidden" not in prompt.split(">", 1)[0], "the key prompt must show"
    assert "Enter an API key" in prompt
    assert re.search(HIDDEN.format(id="error"), dom), "no red error before a key is given"
    assert "Loading…" not in between(dom, '<select id="query-select"', "</select>")
    paths = [path for _, path, _ in SEEN[served]]
    assert not [p for p in paths if p.startswith("/api/") or p == "/explore/styles.json"], paths
    assert "/explore/assets/favicon.svg" in paths and "/favicon.ico" not in paths
    assert_quiet(served, console)


def test_the_legend_is_drawn_from_the_graphs_own_shapes(
    served: str, viewer_token: str, tmp_path: Path
) -> None:
    """Attack, CriminalNetwork and Facility: a star, a hexagon and a house in the legend too
    (the legend's swatches come from the table the graph's node shapes come from)."""
    browser.require_chromium()
    require_vendor()
    params = json.dumps({"network_id": "criminalnetwork-organized-crime-networks-d2d233f5"})
    query = {"facility_id": "", "min_confidence": 0, "max_reliability": "F", "max_credibility": 6}
    params = json.dumps({**json.loads(params), **query}, separators=(",", ":"))
    url = f"{served}/explore#key={viewer_token}&query=network_facility_links&params={quote(params)}"
    dom = browser.chromium(
        url, tmp_path / "dom", WINDOW, "--virtual-time-budget=10000", "--dump-dom"
    )
    legend = between(dom, '<ul id="legend"', "</ul>")
    items = dict(re.findall(r'<li data-label="(\w+)"><svg[^>]*data-shape="(\w+)"', legend))
    for label in ("Attack", "CriminalNetwork", "Facility"):
        assert items.get(label) == STYLES[label].shape, (label, items)
    corners = {
        label: len(
            re.search(rf'data-label="{label}"><svg.*?points="([^"]+)"', legend).group(1).split()
        )  # type: ignore[union-attr]
        for label in ("Attack", "CriminalNetwork", "Facility")
    }
    assert corners == {"Attack": 16, "CriminalNetwork": 6, "Facility": 5}, corners


def test_the_styles_are_the_palette(api: TestClient) -> None:
    body = api.get("/explore/styles.json").json()
    assert {s["label"]: (s["shape"], s["fill"], s["stroke"]) for s in body["styles"]} == {
        label: (s.shape, s.fill, s.stroke) for label, s in STYLES.items()
    }
    assert body["links"]["low_confidence"] == 60
    assert body["links"]["captions"]["ATTRIBUTED_TO"] == "attributed to"


def test_the_favicon_is_served(api: TestClient) -> None:
    response = TestClient(api.app).get("/explore/assets/favicon.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
