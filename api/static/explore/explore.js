/* crimegraph /explore: run a named read query, draw its subgraph, show the evidence.
 *
 * Plain JavaScript, no build step. Talks to the API only, sending the API key the person
 * entered (kept in this tab's sessionStorage; or given once as #key=cg_... in the address,
 * which is then removed from it) as X-API-Key:
 *   GET  /api/v1/queries?mode=read         the queries, their typed params and examples
 *   POST /api/v1/queries/{name}/graph      {rows, graph} (graph in the snapshot format)
 *   GET  /api/v1/entities?q=...            entity search
 *   GET  /explore/styles.json              node styles shared with the briefing pictures
 * All text goes into the page with textContent (never innerHTML): data is data.
 */
"use strict";

(function () {
  const API = "/api/v1";
  const DEFAULT_QUERY = "entity_links";
  const LINKS_QUERY = "entity_links";
  const PROVENANCE = ["quote", "quotes", "source_ids", "confidence", "reliability", "credibility"];
  const HIDDEN = new Set(["id", "name", "search_text", "text", ...PROVENANCE]);
  const CELL_MAX = 160;
  const KEY_STORAGE = "crimegraph.apiKey";
  const FONT = '"DejaVu Sans", "Segoe UI", system-ui, sans-serif';
  const EXPAND_STEP = 25; // links added per "Expand" / "More"
  const UNDO_DEPTH = 50;
  const SNAPSHOT_QUERY = "links_among";
  const SVG = "http://www.w3.org/2000/svg";
  // The palette's shape names (graph/briefing/palette.py) as outlines in Cytoscape's polygon
  // coordinates (-1..1, y down). The graph and the legend are both drawn from this table.
  function star(points, inner) {
    const out = [];
    for (let i = 0; i < points * 2; i++) {
      const r = i % 2 ? inner : 1;
      const a = (Math.PI * i) / points - Math.PI / 2;
      out.push((r * Math.cos(a)).toFixed(3), (r * Math.sin(a)).toFixed(3));
    }
    return out.join(" ");
  }
  const OUTLINES = {
    circle: null,
    triangle: "0 -1 1 1 -1 1",
    diamond: "0 -1 1 0 0 1 -1 0",
    octagon: "-0.41 -1 0.41 -1 1 -0.41 1 0.41 0.41 1 -0.41 1 -1 0.41 -1 -0.41",
    hexagon: "-0.5 -1 0.5 -1 1 0 0.5 1 -0.5 1 -1 0",
    square: "-1 -1 1 -1 1 1 -1 1",
    pill: "-0.6 -0.7 0.6 -0.7 0.9 -0.5 1 0 0.9 0.5 0.6 0.7 -0.6 0.7 -0.9 0.5 -1 0 -0.9 -0.5",
    burst: star(8, 0.55),
    parallelogram: "-0.6 -1 1 -1 0.6 1 -1 1",
    document: "-0.8 -1 0.4 -1 0.8 -0.6 0.8 1 -0.8 1",
    house: "-1 1 1 1 1 -0.15 0 -1 -1 -0.15",
    pin: "0 1 -0.75 -0.15 -0.7 -0.65 -0.35 -0.95 0.35 -0.95 0.7 -0.65 0.75 -0.15",
  };

  function shapeOf(name) {
    const points = name in OUTLINES ? OUTLINES[name] : null;
    return points ? { cy: "polygon", points } : { cy: "ellipse", points: null };
  }
  const FALLBACK_STYLES = {
    root: "Entity",
    styles: [],
    fallback: { shape: "circle", fill: "#D0D7DE", stroke: "#6e7781" },
    links: { colour: "#8c959f", contradicted: "#CC3311", low_confidence: 60, captions: {} },
    reliability: {},
    credibility: {},
  };

  const state = {
    queries: new Map(),
    styles: FALLBACK_STYLES,
    cy: null,
    canvas: null, // emptyCanvas() below
    undo: [],
    focus: new Set(),
    contradicted: new Set(), // event ids whose sources disagree (GET /api/v1/contradictions)
    contradictedPairs: new Set(), // "a|b": two events of one contradiction
    lastRun: null,
    running: 0,
    lastHash: null,
  };

  const $ = (id) => document.getElementById(id);

  // --- small DOM helpers ---------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function plural(count, word, many) {
    return `${count} ${count === 1 ? word : many || word + "s"}`;
  }

  function clip(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  // --- API -------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(error) {
      super(error.message);
      this.error = error;
    }
  }

  // --- the API key ------------------------------------------------------------------------

  function storedKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || "";
    } catch (exc) {
      return ""; // storage disabled: the key lives as long as the page
    }
  }

  let pageKey = "";

  function setKey(key) {
    pageKey = key;
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (exc) {
      /* kept in pageKey only */
    }
  }

  function currentKey() {
    return pageKey || storedKey();
  }

  // A key given as #key=cg_... (scripts, bookmarks on a trusted machine) is taken once and
  // removed from the address, so it is neither shared with the link nor kept in history.
  function keyFromHash() {
    const args = new URLSearchParams(location.hash.slice(1));
    const key = args.get("key");
    if (key === null) return;
    args.delete("key");
    if (key.trim()) setKey(key.trim());
    const rest = args.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }

  function showKeyState() {
    const key = currentKey();
    // Only the public key id (cg_<id>_...) is shown, never the secret.
    const id = /^cg_([0-9a-f]{12})_/.exec(key);
    $("key-state").textContent = key ? `using key ${id ? id[1] : "(unrecognised)"}` : "no key";
    $("key-forget").disabled = !key;
  }

  async function api(path, body) {
    const init = { headers: { Accept: "application/json" } };
    const key = currentKey();
    if (key) init.headers["X-API-Key"] = key;
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (exc) {
      throw new ApiError({
        status: 0,
        code: "network_error",
        message: `the server did not answer (${exc.message})`,
        details: [],
      });
    }
    let data = null;
    try {
      data = await response.json();
    } catch (exc) {
      data = null;
    }
    if (!response.ok) {
      const error = data && data.error ? data.error : null;
      if (response.status === 401) $("key-input").focus();
      throw new ApiError(
        error || {
          status: response.status,
          code: "http_error",
          message: response.statusText || "the request failed",
          details: [],
        }
      );
    }
    return data;
  }

  function showError(exc) {
    const box = clear($("error"));
    const error = exc instanceof ApiError ? exc.error : null;
    if (error) {
      box.append(
        el("strong", { text: `${error.code} (${error.status || "no answer"})` }),
        " ",
        error.message
      );
      const details = (error.details || []).map((d) => {
        const where = d.field || d.param || d.file || "";
        const what = d.message || d.fix || JSON.stringify(d);
        return el("li", {}, where ? el("code", { text: where }) : null, where ? ": " : "", what);
      });
      if (details.length) box.append(el("ul", {}, details));
    } else {
      box.append(el("strong", { text: "error" }), " ", String(exc && exc.message ? exc.message : exc));
    }
    box.hidden = false;
  }

  function clearError() {
    clear($("error")).hidden = true;
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  // --- styles ----------------------------------------------------------------------------

  function styleLabel(labels) {
    const present = new Set(labels);
    for (const style of state.styles.styles) if (present.has(style.label)) return style.label;
    const others = labels.filter((l) => l !== state.styles.root).sort();
    return others.length ? others[0] : state.styles.root;
  }

  function styleFor(label) {
    return state.styles.styles.find((s) => s.label === label) || state.styles.fallback;
  }

  function gradingText(props) {
    const code = `${props.reliability || ""}${props.credibility || ""}`;
    const words = [];
    const r = state.styles.reliability[String(props.reliability)];
    const c = state.styles.credibility[String(props.credibility)];
    if (r) words.push(`source ${r}`);
    if (c) words.push(c);
    return code ? `${code}${words.length ? " (" + words.join(", ") + ")" : ""}` : "ungraded";
  }

  // --- query picker and parameter form ----------------------------------------------------

  function isText(param) {
    return param.type === "STRING" || param.type === "DATE";
  }

  function formatValue(param, value) {
    return isText(param) && typeof value === "string" ? value : JSON.stringify(value);
  }

  function parseValue(param, text) {
    if (isText(param)) return text;
    try {
      return JSON.parse(text);
    } catch (exc) {
      throw new Error(`${param.name}: expected ${param.type} as JSON, e.g. ${JSON.stringify(param.example)}`);
    }
  }

  function selectedQuery() {
    return state.queries.get($("query-select").value);
  }

  function renderParams(query, values) {
    const box = clear($("params"));
    box.append(el("legend", { text: "Parameters" }));
    $("query-description").textContent = query ? query.description : "";
    if (!query) return;
    if (!query.params.length) {
      box.append(el("p", { className: "muted", text: "This query takes no parameters." }));
      return;
    }
    for (const param of query.params) {
      const id = `param-${param.name}`;
      const value = values && param.name in values ? values[param.name] : param.example;
      const long = param.type.startsWith("LIST") || param.type === "MAP";
      const input = el(long ? "textarea" : "input", {
        id,
        name: param.name,
        rows: long ? 2 : undefined,
        type: long ? undefined : "text",
        spellcheck: "false",
        "aria-describedby": `${id}-hint`,
        "data-param": param.name,
      });
      input.value = formatValue(param, value);
      input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
      const hint = isText(param) ? param.type : `${param.type}, as JSON`;
      box.append(
        el(
          "div",
          { className: "param" },
          el("label", { for: id }, param.name, " ", el("span", { className: "type", id: `${id}-hint`, text: hint })),
          input
        )
      );
    }
  }

  function readParams(query) {
    const params = {};
    for (const param of query.params) {
      const input = $(`param-${param.name}`);
      try {
        params[param.name] = parseValue(param, input.value);
      } catch (exc) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
        throw exc;
      }
    }
    return params;
  }

  function choose(name, values) {
    const select = $("query-select");
    if (!state.queries.has(name)) return false;
    select.value = name;
    renderParams(state.queries.get(name), values);
    return true;
  }
  // --- the canvas: what is shown, built step by step ----------------------------------------
  //
  // Run replaces the canvas with a query's result; "Expand" adds an entity's links to it
  // (EXPAND_STEP at a time, "More" for the next ones); nodes can be hidden, removed or
  // pinned; every change can be undone. The canvas lives in the address (#query=...&
  // expand=...), so a copied link rebuilds the same picture for anyone with a key.

  function emptyCanvas() {
    return {
      origin: null, // {name, params}: the query the canvas started from
      nodes: new Map(),
      relationships: new Map(),
      sources: new Map(),
      expanded: new Map(), // id -> how many links were asked for
      more: new Set(), // expanded ids whose links were cut at the limit
      hidden: new Set(),
      removed: new Set(),
      pinned: new Set(),
      until: null, // the time filter: the last date shown (null: all)
    };
  }

  function paramStrings(params) {
    const out = new Set();
    const walk = (v) => {
      if (typeof v === "string" && v) out.add(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(params);
    return out;
  }

  // Adds a graph (snapshot format) to the canvas; returns the ids of the nodes it added.
  function merge(graph) {
    const canvas = state.canvas;
    const added = [];
    for (const node of graph.nodes) {
      if (canvas.removed.has(node.id)) continue;
      if (!canvas.nodes.has(node.id)) added.push(node.id);
      canvas.nodes.set(node.id, node);
    }
    for (const rel of graph.relationships) {
      if (canvas.nodes.has(rel.from_id) && canvas.nodes.has(rel.to_id)) canvas.relationships.set(rel.id, rel);
    }
    for (const source of graph.sources) canvas.sources.set(source.id, source);
    return added;
  }

  // --- undo -----------------------------------------------------------------------------

  function saveable() {
    const c = state.canvas;
    const positions = {};
    if (state.cy) state.cy.nodes().forEach((n) => (positions[n.id()] = { ...n.position() }));
    return {
      origin: c.origin,
      nodes: [...c.nodes.values()],
      relationships: [...c.relationships.values()],
      sources: [...c.sources.values()],
      expanded: [...c.expanded],
      more: [...c.more],
      hidden: [...c.hidden],
      removed: [...c.removed],
      pinned: [...c.pinned],
      until: c.until,
      positions,
    };
  }

  function pushUndo() {
    state.undo.push(saveable());
    if (state.undo.length > UNDO_DEPTH) state.undo.shift();
    $("undo-button").disabled = false;
  }

  function undo() {
    const saved = state.undo.pop();
    $("undo-button").disabled = !state.undo.length;
    if (!saved) return;
    const c = emptyCanvas();
    c.origin = saved.origin;
    saved.nodes.forEach((n) => c.nodes.set(n.id, n));
    saved.relationships.forEach((r) => c.relationships.set(r.id, r));
    saved.sources.forEach((s) => c.sources.set(s.id, s));
    c.expanded = new Map(saved.expanded);
    c.more = new Set(saved.more);
    c.hidden = new Set(saved.hidden);
    c.removed = new Set(saved.removed);
    c.pinned = new Set(saved.pinned);
    c.until = saved.until;
    state.canvas = c;
    syncGraph([], saved.positions);
    afterChange();
  }

  // --- running queries and expanding ----------------------------------------------------------

  async function run(name, params, replay) {
    clearError();
    const token = ++state.running;
    $("run-button").disabled = true;
    $("graph").setAttribute("aria-busy", "true");
    setStatus(`Running ${name}…`);
    const started = performance.now();
    try {
      // The server's graph holds the entities the rows name and those the parameters name.
      const result = await api(`${API}/queries/${encodeURIComponent(name)}/graph`, params);
      if (token !== state.running) return;
      if (state.canvas.nodes.size) pushUndo();
      state.canvas = emptyCanvas();
      state.canvas.origin = { name, params };
      merge(result.graph);
      const focus = [...paramStrings(params)].filter((id) => state.canvas.nodes.has(id));
      state.focus = new Set(focus);
      state.lastRun = { name, rows: result.rows.length, ms: Math.round(performance.now() - started) };
      if (state.cy) {
        state.cy.destroy(); // a new canvas: laid out afresh
        state.cy = null;
      }
      drawRows(result.rows);
      syncGraph([], null, result.rows.length);
      if (replay) await replay();
      afterChange();
      // One entity asked about (entity_links and the like): open its evidence at once.
      if (focus.length === 1) select(focus[0], false);
      else showPlaceholder();
    } catch (exc) {
      if (token !== state.running) return;
      // No stale picture under a failed query: the graph and rows shown always match the form.
      state.canvas = emptyCanvas();
      syncGraph([], null, 0);
      $("graph-empty").hidden = true;
      $("row-count").textContent = "";
      clear($("rows-table").tBodies[0]);
      setStatus(`${name} failed`);
      showError(exc);
    } finally {
      if (token === state.running) {
        $("run-button").disabled = false;
        $("graph").removeAttribute("aria-busy");
      }
    }
  }

  // Adds an entity's links (the next EXPAND_STEP of them) to the canvas.
  async function expand(id, options = {}) {
    const query = state.queries.get(LINKS_QUERY);
    if (!query) return;
    clearError();
    const canvas = state.canvas;
    const limit = (canvas.expanded.get(id) || 0) + EXPAND_STEP;
    const values = {};
    for (const p of query.params) values[p.name] = p.name === "id" ? id : p.name === "limit" ? limit : p.example;
    try {
      const result = await api(`${API}/queries/${encodeURIComponent(LINKS_QUERY)}/graph`, values);
      if (!options.replaying) pushUndo();
      canvas.hidden.delete(id);
      canvas.removed.delete(id);
      const added = merge(result.graph);
      canvas.expanded.set(id, limit);
      if (result.rows.length >= limit) canvas.more.add(id);
      else canvas.more.delete(id);
      if (!options.replaying) {
        syncGraph(added, null, 0, id);
        afterChange();
        select(id, false);
      }
      return added;
    } catch (exc) {
      showError(exc);
      return [];
    }
  }

  function hideNode(id) {
    pushUndo();
    state.canvas.hidden.add(id);
    syncGraph([]);
    afterChange();
    showPlaceholder();
  }

  function removeNode(id) {
    pushUndo();
    const canvas = state.canvas;
    canvas.nodes.delete(id);
    canvas.removed.add(id);
    canvas.hidden.delete(id);
    canvas.pinned.delete(id);
    canvas.expanded.delete(id);
    canvas.more.delete(id);
    for (const [rid, rel] of canvas.relationships) if (rel.from_id === id || rel.to_id === id) canvas.relationships.delete(rid);
    syncGraph([]);
    afterChange();
    showPlaceholder();
  }

  function togglePin(id) {
    pushUndo();
    const pinned = state.canvas.pinned;
    if (pinned.has(id)) pinned.delete(id);
    else pinned.add(id);
    syncGraph([]);
    afterChange();
    showNode(id);
  }

  function showHidden() {
    if (!state.canvas.hidden.size) return;
    pushUndo();
    state.canvas.hidden.clear();
    syncGraph([]);
    afterChange();
  }

  // --- the address: the canvas as a link -------------------------------------------------

  function canvasHash() {
    const c = state.canvas;
    if (!c.origin) return "";
    const args = new URLSearchParams();
    args.set("query", c.origin.name);
    args.set("params", JSON.stringify(c.origin.params));
    if (c.expanded.size) args.set("expand", [...c.expanded.keys()].join(","));
    if (c.hidden.size) args.set("hide", [...c.hidden].join(","));
    if (c.removed.size) args.set("remove", [...c.removed].join(","));
    if (c.pinned.size) args.set("pin", [...c.pinned].join(","));
    if (c.until) args.set("until", c.until);
    return `#${args.toString()}`;
  }

  function remember() {
    const hash = canvasHash();
    state.lastHash = hash;
    if (hash && location.hash !== hash) history.replaceState(null, "", hash);
  }

  function idList(args, name) {
    return (args.get(name) || "").split(",").filter(Boolean);
  }

  function fromHash() {
    const args = new URLSearchParams(location.hash.slice(1));
    const name = args.get("query");
    if (!name || !state.queries.has(name)) return null;
    let params;
    try {
      params = JSON.parse(args.get("params") || "{}");
    } catch (exc) {
      return null;
    }
    if (!params || typeof params !== "object" || Array.isArray(params)) return null;
    return {
      name,
      params,
      expand: idList(args, "expand"),
      hide: idList(args, "hide"),
      remove: idList(args, "remove"),
      pin: idList(args, "pin"),
      until: args.get("until"),
    };
  }

  // Rebuilds a shared canvas: the query, then each expansion in order, then what was hidden,
  // removed and pinned.
  function replayOf(wanted) {
    return async () => {
      for (const id of wanted.expand) syncGraph((await expand(id, { replaying: true })) || [], null, 0, id);
      const c = state.canvas;
      for (const id of wanted.remove) {
        c.nodes.delete(id);
        c.removed.add(id);
      }
      for (const [rid, rel] of c.relationships) if (!c.nodes.has(rel.from_id) || !c.nodes.has(rel.to_id)) c.relationships.delete(rid);
      wanted.hide.forEach((id) => c.nodes.has(id) && c.hidden.add(id));
      wanted.pin.forEach((id) => c.nodes.has(id) && c.pinned.add(id));
      c.until = wanted.until || null;
      syncGraph([]);
    };
  }

  // Runs what the form shows (a shared link fills the form first), so what ran is visible.
  function runForm(replay) {
    const query = selectedQuery();
    if (!query) return;
    let params;
    try {
      params = readParams(query);
    } catch (exc) {
      clearError();
      showError(exc);
      return;
    }
    run(query.name, params, replay);
  }

  // --- the time filter ---------------------------------------------------------------------

  function nodeDate(node) {
    const d = node.properties.date;
    return typeof d === "string" && /^\d{4}/.test(d) ? d : null;
  }

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

  // A date as precise as its source: "2024", "April 2024" or "17 April 2024".
  function dateText(date) {
    const [y, m, d] = date.split("-");
    if (!m) return y;
    const month = MONTHS[Number(m) - 1] || m;
    return d ? `${Number(d)} ${month} ${y}` : `${month} ${y}`;
  }

  function datesShown() {
    const dates = new Set();
    for (const node of state.canvas.nodes.values()) {
      const d = nodeDate(node);
      if (d) dates.add(d);
    }
    return [...dates].sort();
  }

  // Dated entities after the chosen date are left out; undated ones always stay.
  function laterThanFilter(node) {
    const until = state.canvas.until;
    const d = nodeDate(node);
    return Boolean(until && d && d.slice(0, until.length) > until);
  }

  function drawTimeFilter() {
    const dates = datesShown();
    const box = $("time-filter");
    const slider = $("time-slider");
    box.hidden = dates.length < 2;
    if (dates.length < 2) return;
    slider.max = String(dates.length); // the last step: every date
    const at = state.canvas.until ? dates.indexOf(state.canvas.until) : -1;
    slider.value = String(at < 0 ? dates.length : at);
    $("time-value").textContent = at < 0 ? `all dates (to ${dateText(dates[dates.length - 1])})` : `until ${dateText(dates[at])}`;
  }

  function onTimeSlider() {
    const dates = datesShown();
    const i = Number($("time-slider").value);
    const until = i >= dates.length ? null : dates[i];
    if (until === state.canvas.until) return;
    state.canvas.until = until;
    applyVisibility();
    afterChange();
  }

  // --- drawing ---------------------------------------------------------------------------

  function cyStyle() {
    const links = state.styles.links || FALLBACK_STYLES.links;
    const style = [
      {
        selector: "node",
        style: {
          "background-color": "data(fill)",
          "border-color": "data(stroke)",
          "border-width": 1.5,
          width: 26,
          height: 26,
          shape: "data(shape)",
          label: "data(caption)",
          "font-family": FONT,
          "font-size": 13,
          // Too small to read at this zoom: not drawn (hover or zoom in to read it).
          "min-zoomed-font-size": 8,
          color: "#1f2328",
          "text-valign": "bottom",
          "text-margin-y": 4,
          "text-wrap": "wrap",
          "text-max-width": 150,
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": 1,
        },
      },
      { selector: "node[points]", style: { "shape-polygon-points": "data(points)" } },
      { selector: "node.focus", style: { width: 38, height: 38, "border-width": 3, "font-weight": "bold" } },
      { selector: "node.pinned", style: { "border-style": "double", "border-width": 4 } },
      { selector: "node.contradicted", style: { "border-color": links.contradicted, "border-width": 3, "outline-color": links.contradicted } },
      {
        selector: "edge",
        style: {
          width: "mapData(confidence, 0, 100, 0.8, 3)",
          "line-color": links.colour,
          "target-arrow-color": links.colour,
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.9,
          "curve-style": "bezier",
          label: "data(caption)",
          "font-family": FONT,
          "font-size": 10,
          // Link captions only when they can be read without crowding (zoom in or hover).
          "min-zoomed-font-size": 10,
          color: "#57606a",
          "text-rotation": "autorotate",
          "text-margin-y": -7,
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.9,
          "text-background-padding": 1,
        },
      },
      { selector: "edge.low", style: { "line-style": "dashed", "line-dash-pattern": [6, 4] } },
      { selector: "edge.contradicted", style: { "line-color": links.contradicted, "target-arrow-color": links.contradicted, color: links.contradicted } },
      { selector: ".near", style: { "min-zoomed-font-size": 0, "z-index": 10 } },
      { selector: "node.near", style: { "font-weight": "bold", "text-wrap": "wrap", "text-max-width": 220 } },
      { selector: ".hidden", style: { display: "none" } },
      {
        selector: "node:selected",
        style: { "border-color": "#0969da", "border-width": 4, "underlay-color": "#0969da", "underlay-opacity": 0.15, "underlay-padding": 6, "min-zoomed-font-size": 0 },
      },
      {
        selector: "edge:selected",
        style: { width: 3, "line-color": "#0969da", "target-arrow-color": "#0969da", color: "#0969da", "min-zoomed-font-size": 0 },
      },
    ];
    return style;
  }

  // Fit, but a small graph is not blown up to fill the frame: text stays at reading size.
  function fitGraph(cy) {
    cy.fit(cy.elements(":visible"), 40);
    if (cy.zoom() > 1.25) {
      cy.zoom(1.25);
      cy.center(cy.elements(":visible"));
    }
  }

  function byId(a, b) {
    return a.id() < b.id() ? -1 : a.id() > b.id() ? 1 : 0;
  }

  function nodeData(node) {
    const label = styleLabel(node.labels);
    const style = styleFor(label);
    const shape = shapeOf(style.shape);
    const name = String(node.properties.name || node.id);
    const contradicted = state.contradicted.has(node.id);
    return {
      data: {
        id: node.id,
        caption: (contradicted ? "⚠ " : "") + clip(name, 60),
        fill: style.fill,
        stroke: style.stroke,
        shape: shape.cy,
        ...(shape.points ? { points: shape.points } : {}),
      },
      classes: [state.focus.has(node.id) ? "focus" : "", contradicted ? "contradicted" : ""].filter(Boolean),
    };
  }

  function edgeData(rel) {
    const links = state.styles.links || FALLBACK_STYLES.links;
    const confidence = typeof rel.properties.confidence === "number" ? rel.properties.confidence : null;
    const caption = (links.captions && links.captions[rel.type]) || rel.type.replace(/_/g, " ").toLowerCase();
    const contradicted = state.contradictedPairs.has(`${rel.from_id}|${rel.to_id}`);
    return {
      data: {
        id: rel.id,
        source: rel.from_id,
        target: rel.to_id,
        caption: confidence === null ? caption : `${caption} · ${confidence}%`,
        confidence: confidence === null ? 50 : confidence,
      },
      classes: [confidence !== null && confidence < links.low_confidence ? "low" : "", contradicted ? "contradicted" : ""].filter(Boolean),
    };
  }

  // Makes the drawing match the canvas: new nodes are placed around the node they came from
  // and laid out with every node already drawn held where it is.
  function syncGraph(added, positions, rowCount = 0, anchorId = null) {
    const canvas = state.canvas;
    const empty = $("graph-empty");
    empty.hidden = true;
    $("graph").removeAttribute("data-drawn");
    if (!canvas.nodes.size) {
      if (state.cy) {
        state.cy.destroy();
        state.cy = null;
      }
      empty.textContent = rowCount
        ? "The rows of this query name no entity, so there is no graph; the rows are below."
        : "Nothing to draw: the query returned no rows.";
      empty.hidden = false;
      return;
    }
    if (typeof window.cytoscape !== "function") {
      $("vendor-missing").hidden = false;
      $("graph").hidden = true;
      empty.textContent = "The graph cannot be drawn: the graph library is not installed (see the notice above).";
      empty.hidden = false;
      return;
    }
    const fresh = !state.cy;
    if (fresh) {
      state.cy = window.cytoscape({
        container: $("graph"),
        style: cyStyle(),
        layout: { name: "preset" },
        minZoom: 0.1,
        maxZoom: 4,
        boxSelectionEnabled: false,
        selectionType: "single",
      });
      bindGraph(state.cy);
    }
    const cy = state.cy;
    let kept = 0;
    cy.batch(() => {
      cy.elements().forEach((item) => {
        const keep = item.isNode() ? canvas.nodes.has(item.id()) : canvas.relationships.has(item.id());
        if (!keep) cy.remove(item);
        else if (item.isNode()) kept += 1;
      });
      // New nodes start around the node they came from (or beside the picture), so the
      // layout only has to settle them.
      const box = kept ? cy.nodes().boundingBox() : null;
      const from = anchorId && cy.getElementById(anchorId).nonempty() ? cy.getElementById(anchorId).position() : box ? { x: box.x2 + 160, y: (box.y1 + box.y2) / 2 } : { x: 0, y: 0 };
      const newNodes = [...canvas.nodes.values()].filter((n) => cy.getElementById(n.id).empty());
      newNodes.forEach((node, i) => {
        const angle = (2 * Math.PI * i) / Math.max(newNodes.length, 1);
        const radius = 90 + 6 * newNodes.length;
        const at = positions && positions[node.id] ? positions[node.id] : { x: from.x + radius * Math.cos(angle), y: from.y + radius * Math.sin(angle) };
        cy.add({ group: "nodes", ...nodeData(node), position: at });
      });
      for (const rel of canvas.relationships.values()) {
        if (cy.getElementById(rel.id).empty()) cy.add({ group: "edges", ...edgeData(rel) });
      }
      if (positions) cy.nodes().forEach((n) => positions[n.id()] && n.position(positions[n.id()]));
      cy.nodes().forEach((n) => {
        n.toggleClass("pinned", canvas.pinned.has(n.id()));
        if (canvas.pinned.has(n.id())) n.lock();
        else n.unlock();
      });
    });
    applyVisibility();
    if (positions) finishDrawing(cy, false);
    else if (!kept) layoutAll(cy);
    else if (added.length) layoutAround(cy, added);
    else finishDrawing(cy, false);
  }

  function applyVisibility() {
    const cy = state.cy;
    if (!cy) return;
    const canvas = state.canvas;
    cy.batch(() => {
      cy.nodes().forEach((n) => {
        const node = canvas.nodes.get(n.id());
        n.toggleClass("hidden", canvas.hidden.has(n.id()) || (node ? laterThanFilter(node) : false));
      });
    });
    markDrawn(cy);
  }

  // The first drawing: deterministic (a circle in id order, then force-directed from there,
  // without randomness); entities with no drawn link in rows beneath it.
  function layoutAll(cy) {
    const alone = cy.nodes().filter((n) => n.degree(false) === 0).sort(byId);
    const linked = cy.elements().difference(alone);
    const finish = () => {
      const box = linked.nonempty() ? linked.boundingBox() : { x1: 0, y2: -80, w: 0 };
      const step = 150;
      const perRow = Math.max(1, Math.floor(Math.max(box.w, 600) / step) + 1);
      alone.positions((n, i) => ({ x: box.x1 + (i % perRow) * step, y: box.y2 + 80 + Math.floor(i / perRow) * 90 }));
      finishDrawing(cy, true);
    };
    if (linked.empty()) {
      finish();
      return;
    }
    linked.nodes().filter((n) => !n.locked()).layout({ name: "circle", sort: byId, fit: false }).run();
    const layout = linked.layout({ ...COSE, randomize: false });
    layout.one("layoutstop", finish);
    layout.run();
  }

  // An expansion: only the new nodes move; every node drawn before is held in place.
  function layoutAround(cy, added) {
    const fresh = new Set(added);
    const held = cy.nodes().filter((n) => !fresh.has(n.id()) && !n.locked());
    held.lock();
    const layout = cy.elements().layout({ ...COSE, randomize: false, numIter: 800 });
    layout.one("layoutstop", () => {
      held.unlock();
      finishDrawing(cy, true);
    });
    layout.run();
  }

  const COSE = {
    name: "cose",
    animate: false,
    fit: false,
    nodeDimensionsIncludeLabels: true,
    idealEdgeLength: () => 80,
    nodeRepulsion: () => 6000,
    componentSpacing: 60,
    numIter: 1500,
  };

  function finishDrawing(cy, fit) {
    if (fit) fitGraph(cy);
    markDrawn(cy);
  }

  // What is drawn, for a person's tools and the end-to-end tests alike: a count on the
  // container, and a list of the entities shown (the text alternative of the picture).
  function markDrawn(cy) {
    const shown = cy.nodes(":visible");
    const links = cy.edges(":visible");
    cy.container().setAttribute("data-drawn", `${shown.length} nodes, ${links.length} links`);
    const list = clear($("canvas-list"));
    const w = cy.width();
    const h = cy.height();
    for (const n of shown.sort(byId)) {
      const p = n.renderedPosition();
      const inside = p.x >= 0 && p.y >= 0 && p.x <= w && p.y <= h;
      const node = state.canvas.nodes.get(n.id());
      list.append(
        el("li", { "data-id": n.id(), "data-on-screen": inside ? "yes" : "no" }, node ? String(node.properties.name || n.id()) : n.id())
      );
    }
  }

  // After every change: the status line, the legend, the time filter, the buttons, the address.
  function afterChange() {
    const c = state.canvas;
    const parts = [];
    if (state.cy) {
      parts.push(`${plural(state.cy.nodes(":visible").length, "node")}, ${plural(state.cy.edges(":visible").length, "link")}`);
    } else {
      parts.push(`${plural(0, "node")}, ${plural(0, "link")}`);
    }
    if (state.lastRun) parts.push(plural(state.lastRun.rows, "row"), `${state.lastRun.name} in ${state.lastRun.ms} ms`);
    if (c.expanded.size) parts.push(`${plural(c.expanded.size, "entity", "entities")} expanded`);
    setStatus(parts.join(" · "));
    drawLegend();
    drawTimeFilter();
    $("show-hidden-button").disabled = !c.hidden.size;
    $("show-hidden-button").textContent = c.hidden.size ? `Show hidden (${c.hidden.size})` : "Show hidden";
    $("snapshot-button").disabled = !c.nodes.size;
    remember();
  }

  function bindGraph(cy) {
    cy.on("tap", "node", (evt) => showNode(evt.target.id()));
    cy.on("tap", "edge", (evt) => showEdge(evt.target.id()));
    cy.on("tap", (evt) => {
      if (evt.target === cy) showPlaceholder();
    });
    cy.on("dbltap", "node", (evt) => expand(evt.target.id()));
    // Hover: a node's name and its links' captions at any zoom.
    cy.on("mouseover", "node", (evt) => evt.target.closedNeighborhood().addClass("near"));
    cy.on("mouseout", "node", (evt) => evt.target.closedNeighborhood().removeClass("near"));
    cy.on("mouseover", "edge", (evt) => evt.target.addClass("near"));
    cy.on("mouseout", "edge", (evt) => evt.target.removeClass("near"));
    cy.on("dragfree", "node", () => remember());
  }

  // --- the legend: drawn from the same style as the graph ---------------------------------

  function swatch(style) {
    const shape = shapeOf(style.shape);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "-1.2 -1.2 2.4 2.4");
    svg.setAttribute("class", "swatch");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("data-shape", style.shape);
    const outline = shape.points
      ? document.createElementNS(SVG, "polygon")
      : document.createElementNS(SVG, "circle");
    if (shape.points) {
      // Cytoscape's polygon points have y pointing down, as SVG's do.
      outline.setAttribute("points", shape.points.replace(/(\S+) (\S+)/g, "$1,$2").trim());
    } else {
      outline.setAttribute("r", "1");
    }
    outline.setAttribute("fill", style.fill);
    outline.setAttribute("stroke", style.stroke);
    outline.setAttribute("stroke-width", "0.15");
    svg.append(outline);
    return svg;
  }

  function drawLegend() {
    const list = clear($("legend"));
    const counts = new Map();
    for (const node of state.canvas.nodes.values()) {
      const label = styleLabel(node.labels);
      counts.set(label, (counts.get(label) || 0) + 1);
    }
    const order = state.styles.styles.map((s) => s.label);
    const labels = [...counts.keys()].sort((a, b) => {
      const ia = order.indexOf(a) < 0 ? order.length : order.indexOf(a);
      const ib = order.indexOf(b) < 0 ? order.length : order.indexOf(b);
      return ia - ib || (a < b ? -1 : 1);
    });
    for (const label of labels) {
      list.append(el("li", { "data-label": label }, swatch(styleFor(label)), `${label} `, el("span", { className: "muted", text: counts.get(label) })));
    }
    if (state.canvas.relationships.size) {
      const links = state.styles.links || FALLBACK_STYLES.links;
      list.append(
        el("li", { className: "legend-link" }, el("span", { className: "line-solid", "aria-hidden": "true" }), `confidence ≥ ${links.low_confidence}%`),
        el("li", { className: "legend-link" }, el("span", { className: "line-dashed", "aria-hidden": "true" }), `below ${links.low_confidence}%`),
        el("li", { className: "legend-link" }, el("span", { className: "line-contradicted", "aria-hidden": "true" }), "⚠ sources disagree")
      );
    }
  }

  // --- a briefing snapshot of the canvas ---------------------------------------------------

  async function snapshotCanvas() {
    const cy = state.cy;
    const canvas = state.canvas;
    const ids = [...canvas.nodes.keys()].filter((id) => !cy || cy.getElementById(id).visible());
    const types = [...new Set([...canvas.relationships.values()].map((r) => r.type))].sort();
    const title = $("snapshot-title").value.trim() || `Canvas: ${ids.length} entities`;
    const box = clear($("snapshot-result"));
    box.hidden = false;
    box.append("Freezing the canvas…");
    try {
      // links_among: exactly these entities and the links of the types shown among them.
      const snap = await api(`${API}/snapshots`, { title, query: { name: SNAPSHOT_QUERY, params: { ids, types } } });
      clear(box).append(
        el("strong", { text: "Snapshot " }),
        el("code", { text: snap.id }),
        ` · ${plural(snap.nodes, "entity", "entities")}, ${plural(snap.relationships, "link")} · `,
        el("button", { type: "button", className: "link", text: "open the briefing", onclick: () => openDownload(snap.formats.html) })
      );
    } catch (exc) {
      clear(box).hidden = true;
      showError(exc);
    }
  }

  // Downloads need the key header, so the page fetches them and opens the bytes it got.
  async function openDownload(path) {
    try {
      const response = await fetch(path, { headers: { "X-API-Key": currentKey() } });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const url = URL.createObjectURL(await response.blob());
      window.open(url, "_blank", "noopener");
    } catch (exc) {
      showError(exc);
    }
  }

  // --- contradictions: which events' sources disagree ------------------------------------

  async function loadContradictions() {
    try {
      const found = await api(`${API}/contradictions`);
      for (const item of found) {
        const events = item.claims.map((c) => c.event_id);
        events.forEach((id) => state.contradicted.add(id));
        for (const a of events) for (const b of events) if (a !== b) state.contradictedPairs.add(`${a}|${b}`);
      }
    } catch (exc) {
      /* not shown: the canvas works without the marks */
    }
  }

  function runLinksOf(id) {
    const query = state.queries.get(LINKS_QUERY);
    if (!query) return;
    const values = {};
    for (const p of query.params) values[p.name] = p.name === "id" ? id : p.example;
    choose(LINKS_QUERY, values);
    run(LINKS_QUERY, values);
  }

  // A search result: added to the canvas (with its links), or the start of a new one.
  function openEntity(id) {
    if (state.canvas.nodes.size) expand(id);
    else runLinksOf(id);
  }

  function cellContent(value) {
    if (value === null || value === undefined) return el("span", { className: "muted", text: "null" });
    if (typeof value === "string") {
      if (state.canvas.nodes.has(value) || state.canvas.relationships.has(value)) {
        const node = state.canvas.nodes.get(value);
        const what = node ? node.properties.name || value : state.canvas.relationships.get(value).type;
        return el("button", {
          type: "button",
          className: "link",
          title: `${what}: show in the graph`,
          text: value,
          onclick: () => select(value),
        });
      }
      return value.length > CELL_MAX ? el("span", { title: clip(value, 2000), text: clip(value, CELL_MAX) }) : value;
    }
    if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) {
      return cellContent(value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", "));
    }
    const text = JSON.stringify(value);
    return el("code", { title: clip(text, 2000), text: clip(text, CELL_MAX) });
  }

  function drawRows(rows) {
    const table = $("rows-table");
    const head = clear(table.tHead);
    const body = clear(table.tBodies[0]);
    $("row-count").textContent = `(${rows.length})`;
    const columns = [];
    for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    if (!rows.length) {
      body.append(el("tr", {}, el("td", { className: "muted", text: "No rows." })));
      return;
    }
    head.append(el("tr", {}, columns.map((c) => el("th", { scope: "col", text: c }))));
    for (const row of rows) {
      body.append(el("tr", {}, columns.map((c) => el("td", {}, cellContent(row[c])))));
    }
  }

  function select(id, move = true) {
    if (state.cy) {
      const item = state.cy.getElementById(id);
      if (item && item.nonempty()) {
        state.cy.elements().unselect();
        item.select();
        if (move) state.cy.animate({ center: { eles: item }, duration: 200 });
      }
    }
    if (state.canvas.nodes.has(id)) showNode(id);
    else if (state.canvas.relationships.has(id)) showEdge(id);
  }

  // --- the side panel: properties, quote, sources ------------------------------------------

  function showPlaceholder() {
    const panel = clear($("details"));
    panel.append(
      el("h2", { id: "details-title", text: "Details" }),
      el("p", { className: "muted", text: "Click a node or a link to see its properties, its quote and its sources." })
    );
  }

  function propertyTable(props) {
    const keys = Object.keys(props).filter((k) => !HIDDEN.has(k)).sort();
    if (!keys.length) return null;
    return el(
      "table",
      { className: "props" },
      el("caption", { text: "Properties" }),
      el(
        "tbody",
        {},
        keys.map((k) => el("tr", {}, el("th", { scope: "row", text: k }), el("td", {}, cellContent(props[k]))))
      )
    );
  }

  function evidence(props) {
    const section = el("section", { className: "evidence", "aria-label": "Evidence" }, el("h3", { text: "Evidence" }));
    const grade = gradingText(props);
    const confidence = typeof props.confidence === "number" ? `confidence ${props.confidence}%` : "no confidence given";
    section.append(el("p", { className: "grading" }, el("strong", { text: grade }), ` · ${confidence}`));
    const quotes = [...new Set([...(props.quotes || []), ...(props.quote ? [props.quote] : [])])];
    if (quotes.length) {
      for (const quote of quotes) section.append(el("blockquote", { text: `“${quote}”` }));
    } else {
      section.append(el("p", { className: "warning", text: "No quote recorded." }));
    }
    const ids = props.source_ids || [];
    section.append(el("h3", { text: `Sources (${ids.length})` }));
    if (!ids.length) section.append(el("p", { className: "warning", text: "No source cited." }));
    const list = el("ol", { className: "sources" });
    for (const id of ids) {
      const source = state.canvas.sources.get(id);
      const item = el("li", {});
      if (source) {
        const title = String(source.title || source.name || id);
        item.append(el("span", { className: "source-title", title, text: clip(title, 140) }));
        const meta = [source.publisher, source.published ? `published ${source.published}` : null, source.retrieved ? `retrieved ${source.retrieved}` : null, source.file_name]
          .filter(Boolean)
          .join(" · ");
        if (meta) item.append(el("div", { className: "muted", text: meta }));
      }
      const links = el("div", { className: "source-links" }, el("code", { text: id }), " ");
      links.append(el("a", { href: `${API}/sources/${encodeURIComponent(id)}`, target: "_blank", rel: "noopener", text: "open" }));
      if (source && typeof source.url === "string" && /^https?:\/\//i.test(source.url)) {
        links.append(" · ", el("a", { href: source.url, target: "_blank", rel: "noopener noreferrer", text: "original" }));
      }
      item.append(links);
      list.append(item);
    }
    if (ids.length) section.append(list);
    return section;
  }

  function nodeButton(id) {
    const node = state.canvas.nodes.get(id);
    const name = node ? String(node.properties.name || id) : id;
    return el("button", { type: "button", className: "link", text: name, onclick: () => select(id) });
  }

  function showNode(id) {
    const node = state.canvas.nodes.get(id);
    if (!node) return;
    const props = node.properties;
    const panel = clear($("details"));
    panel.append(
      el("h2", { id: "details-title", text: String(props.name || id) }),
      el("p", { className: "labels" }, node.labels.map((l) => el("span", { className: "chip", text: l }))),
      el("p", {}, el("code", { className: "id", text: id }))
    );
    const canvas = state.canvas;
    const actions = el("div", { className: "node-actions", role: "group", "aria-label": "Canvas actions" });
    if (state.queries.has(LINKS_QUERY)) {
      const expanded = canvas.expanded.has(id);
      actions.append(
        el("button", {
          type: "button",
          className: "primary",
          text: expanded ? (canvas.more.has(id) ? `More links (+${EXPAND_STEP})` : "All links shown") : "Expand: add its links",
          title: `add this entity's links (${LINKS_QUERY}, ${EXPAND_STEP} at a time) to the canvas`,
          disabled: expanded && !canvas.more.has(id),
          onclick: () => expand(id),
        })
      );
    }
    actions.append(
      el("button", { type: "button", text: canvas.pinned.has(id) ? "Unpin" : "Pin", title: "hold it where it is when the canvas grows", onclick: () => togglePin(id) }),
      el("button", { type: "button", text: "Hide", title: "hide it (Show hidden brings it back)", onclick: () => hideNode(id) }),
      el("button", { type: "button", text: "Remove", title: "take it and its links off the canvas", onclick: () => removeNode(id) })
    );
    panel.append(actions);
    if (state.contradicted.has(id)) {
      panel.append(el("p", { className: "warning", text: "⚠ Sources disagree about this event (see /api/v1/contradictions)." }));
    }
    if (props.description) panel.append(el("p", { className: "description", text: String(props.description) }));
    panel.append(evidence(props));
    const table = propertyTable(Object.fromEntries(Object.entries(props).filter(([k]) => k !== "description")));
    if (table) panel.append(table);
  }

  function showEdge(id) {
    const rel = state.canvas.relationships.get(id);
    if (!rel) return;
    const panel = clear($("details"));
    panel.append(
      el("h2", { id: "details-title", text: rel.type }),
      el("p", { className: "endpoints" }, nodeButton(rel.from_id), " → ", nodeButton(rel.to_id)),
      el("p", {}, el("code", { className: "id", text: id }))
    );
    panel.append(evidence(rel.properties));
    const table = propertyTable(rel.properties);
    if (table) panel.append(table);
  }

  // --- search ----------------------------------------------------------------------------

  async function search(q) {
    const list = clear($("search-results"));
    list.hidden = true;
    if (!q.trim()) return;
    try {
      const page = await api(`${API}/entities?q=${encodeURIComponent(q.trim())}&limit=8`);
      if (!page.items.length) {
        list.append(el("li", { className: "muted", text: `Nothing found for “${q}”.` }));
      }
      for (const item of page.items) {
        const labels = item.labels.filter((l) => l !== state.styles.root).join(", ");
        list.append(
          el(
            "li",
            {},
            el(
              "button",
              {
                type: "button",
                onclick: () => {
                  clear(list).hidden = true;
                  $("search-input").value = item.name;
                  openEntity(item.id);
                },
              },
              el("strong", { text: item.name }),
              " ",
              el("span", { className: "muted", text: labels })
            )
          )
        );
      }
      list.hidden = false;
      const first = list.querySelector("button");
      if (first) first.focus();
    } catch (exc) {
      showError(exc);
    }
  }
  // --- start -----------------------------------------------------------------------------

  // Until a key is given the page asks for one and calls nothing that needs it.
  function askForKey() {
    $("key-prompt").hidden = false;
    setStatus("Enter an API key above to begin.");
    const select = clear($("query-select"));
    select.append(el("option", { text: "Enter an API key first" }));
    const params = clear($("params"));
    params.append(el("legend", { text: "Parameters" }), el("p", { className: "muted", text: "The queries are listed once a key is given." }));
    $("key-input").focus();
  }

  async function start() {
    if (typeof window.cytoscape !== "function") $("vendor-missing").hidden = false;
    state.canvas = emptyCanvas();
    keyFromHash();
    showKeyState();
    $("key-form").addEventListener("submit", (evt) => {
      evt.preventDefault();
      const key = $("key-input").value.trim();
      $("key-input").value = "";
      if (!key) return;
      setKey(key);
      location.reload(); // start again with the key: queries, styles, the default run
    });
    $("key-forget").addEventListener("click", () => {
      setKey("");
      location.reload();
    });
    $("query-form").addEventListener("submit", (evt) => {
      evt.preventDefault();
      runForm();
    });
    $("query-select").addEventListener("change", () => renderParams(selectedQuery()));
    $("search-form").addEventListener("submit", (evt) => {
      evt.preventDefault();
      if (!currentKey()) askForKey();
      else search($("search-input").value);
    });
    document.addEventListener("click", (evt) => {
      if (!$("search-form").contains(evt.target)) clear($("search-results")).hidden = true;
    });
    $("search-results").addEventListener("keydown", (evt) => {
      if (evt.key === "Escape") {
        clear($("search-results")).hidden = true;
        $("search-input").focus();
      }
    });
    $("fit-button").addEventListener("click", () => state.cy && fitGraph(state.cy));
    $("undo-button").addEventListener("click", undo);
    $("show-hidden-button").addEventListener("click", showHidden);
    $("time-slider").addEventListener("input", onTimeSlider);
    $("snapshot-form").addEventListener("submit", (evt) => {
      evt.preventDefault();
      snapshotCanvas();
    });
    // Cytoscape measures its container once; follow the frame when the window changes.
    if (typeof ResizeObserver === "function") {
      let size = "";
      new ResizeObserver(() => {
        const now = `${$("graph").clientWidth}x${$("graph").clientHeight}`;
        if (now === size) return;
        size = now;
        if (!state.cy) return;
        state.cy.resize();
        fitGraph(state.cy);
        markDrawn(state.cy);
      }).observe($("graph"));
    }
    window.addEventListener("hashchange", () => {
      if (new URLSearchParams(location.hash.slice(1)).has("key")) {
        keyFromHash();
        location.reload();
        return;
      }
      if (location.hash === state.lastHash) return;
      const wanted = fromHash();
      if (wanted && choose(wanted.name, wanted.params)) runForm(replayOf(wanted));
    });

    if (!currentKey()) {
      askForKey();
      return;
    }
    const [queries, styles] = await Promise.all([
      api(`${API}/queries?mode=read`).catch((exc) => exc),
      api("/explore/styles.json").catch(() => FALLBACK_STYLES),
      loadContradictions(),
    ]);
    state.styles = styles;
    if (queries instanceof Error) {
      const badKey = queries instanceof ApiError && queries.error.status === 401;
      if (badKey) {
        askForKey();
        setStatus("That API key was not accepted (unknown, revoked or expired): enter another.");
        return;
      }
      setStatus("Could not load the named queries.");
      showError(queries);
      return;
    }
    const select = clear($("query-select"));
    for (const query of [...queries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      state.queries.set(query.name, query);
      select.append(el("option", { value: query.name, text: query.name }));
    }
    select.disabled = false;
    $("run-button").disabled = false;
    const wanted = fromHash();
    if (wanted && choose(wanted.name, wanted.params)) {
      runForm(replayOf(wanted));
    } else if (choose(DEFAULT_QUERY)) {
      runForm();
    } else if (select.options.length) {
      choose(select.options[0].value);
      setStatus("Choose a query and press Run.");
    } else {
      setStatus("There is no named read query.");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
