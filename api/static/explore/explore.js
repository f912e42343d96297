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
  // The briefing pictures' shape names (graph/render.py) as Cytoscape shapes.
  const SHAPES = {
    circle: "ellipse",
    triangle: "triangle",
    diamond: "diamond",
    octagon: "octagon",
    hexagon: "hexagon",
    square: "round-rectangle",
    pill: "barrel",
    burst: "star",
    parallelogram: "rhomboid",
    document: "rectangle",
    house: "polygon",
    pin: "polygon",
  };
  const POLYGONS = {
    house: "-1 1 1 1 1 -0.15 0 -1 -1 -0.15",
    pin: "0 1 -0.75 -0.15 -0.7 -0.65 -0.35 -0.95 0.35 -0.95 0.7 -0.65 0.75 -0.15",
  };
  const FALLBACK_STYLES = {
    root: "Entity",
    styles: [],
    fallback: { shape: "circle", fill: "#D0D7DE", stroke: "#6e7781" },
    reliability: {},
    credibility: {},
  };

  const state = {
    queries: new Map(),
    styles: FALLBACK_STYLES,
    cy: null,
    nodes: new Map(),
    relationships: new Map(),
    sources: new Map(),
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

  // --- running ---------------------------------------------------------------------------

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

  async function run(name, params) {
    clearError();
    const token = ++state.running;
    $("run-button").disabled = true;
    $("graph").setAttribute("aria-busy", "true");
    setStatus(`Running ${name}…`);
    const started = performance.now();
    try {
      // The server's graph holds the entities the rows name and those the parameters name.
      const result = await api(`${API}/queries/${encodeURIComponent(name)}/graph`, params);
      const graph = result.graph;
      const focus = paramStrings(params);
      if (token !== state.running) return;
      const ms = Math.round(performance.now() - started);
      render(name, result.rows, graph, focus);
      const parts = [
        `${plural(graph.nodes.length, "node")}, ${plural(graph.relationships.length, "link")}`,
        plural(result.rows.length, "row"),
        `${name} in ${ms} ms`,
      ];
      setStatus(parts.join(" · "));
      remember(name, params);
    } catch (exc) {
      if (token !== state.running) return;
      // No stale picture under a failed query: the graph and rows shown always match the form.
      render(name, [], { nodes: [], relationships: [], sources: [] }, new Set());
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

  function remember(name, params) {
    const hash = `#query=${encodeURIComponent(name)}&params=${encodeURIComponent(JSON.stringify(params))}`;
    state.lastHash = hash;
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function fromHash() {
    const args = new URLSearchParams(location.hash.slice(1));
    const name = args.get("query");
    if (!name || !state.queries.has(name)) return null;
    try {
      const params = JSON.parse(args.get("params") || "{}");
      return params && typeof params === "object" && !Array.isArray(params) ? { name, params } : null;
    } catch (exc) {
      return null;
    }
  }

  // Runs what the form shows (a shared link fills the form first), so what ran is visible.
  function runForm() {
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
    run(query.name, params);
  }

  function runLinksOf(id) {
    const query = state.queries.get(LINKS_QUERY);
    if (!query) return;
    const values = {};
    for (const p of query.params) values[p.name] = p.name === "id" ? id : p.example;
    choose(LINKS_QUERY, values);
    run(LINKS_QUERY, values);
  }

  // --- rendering -------------------------------------------------------------------------

  function render(name, rows, graph, focus) {
    state.nodes = new Map(graph.nodes.map((n) => [n.id, n]));
    state.relationships = new Map(graph.relationships.map((r) => [r.id, r]));
    state.sources = new Map(graph.sources.map((s) => [s.id, s]));
    drawGraph(graph, focus, rows.length);
    drawLegend(graph);
    drawRows(rows);
    // One entity asked about (entity_links and the like): open its evidence at once.
    const asked = [...focus].filter((id) => state.nodes.has(id));
    if (asked.length === 1) select(asked[0], false);
    else showPlaceholder();
  }

  function cyStyle() {
    const style = [
      {
        selector: "node",
        style: {
          "background-color": "data(fill)",
          "border-color": "data(stroke)",
          "border-width": 1.5,
          width: 26,
          height: 26,
          label: "data(caption)",
          "font-family": FONT,
          "font-size": 13,
          color: "#1f2328",
          "text-valign": "bottom",
          "text-margin-y": 4,
          "text-wrap": "wrap",
          "text-max-width": 110,
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": 1,
        },
      },
      { selector: "node.focus", style: { width: 38, height: 38, "border-width": 3, "font-weight": "bold" } },
      {
        selector: "edge",
        style: {
          width: 1.4,
          "line-color": "#8c959f",
          "target-arrow-color": "#8c959f",
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.9,
          "curve-style": "bezier",
          label: "data(caption)",
          "font-family": FONT,
          "font-size": 10,
          color: "#57606a",
          "text-rotation": "autorotate",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.9,
          "text-background-padding": 1,
        },
      },
      {
        selector: "node:selected",
        style: { "border-color": "#0969da", "border-width": 4, "underlay-color": "#0969da", "underlay-opacity": 0.15, "underlay-padding": 6 },
      },
      {
        selector: "edge:selected",
        style: { width: 3, "line-color": "#0969da", "target-arrow-color": "#0969da", color: "#0969da" },
      },
    ];
    for (const [name, shape] of Object.entries(SHAPES)) {
      const css = { shape };
      if (POLYGONS[name]) css["shape-polygon-points"] = POLYGONS[name];
      style.push({ selector: `node.shape-${name}`, style: css });
    }
    return style;
  }

  // Fit, but a small graph is not blown up to fill the frame: text stays at reading size.
  function fitGraph(cy) {
    cy.fit(undefined, 40);
    if (cy.zoom() > 1.25) {
      cy.zoom(1.25);
      cy.center();
    }
  }

  function byId(a, b) {
    return a.id() < b.id() ? -1 : a.id() > b.id() ? 1 : 0;
  }

  // Deterministic: the linked part as a circle in id order, then force-directed from there
  // (cose without randomness); entities with no drawn link in rows beneath it.
  function layoutGraph(cy) {
    const alone = cy.nodes().filter((n) => n.degree(false) === 0).sort(byId);
    const linked = cy.elements().difference(alone);
    const finish = () => {
      const frame = { w: cy.width(), h: cy.height() };
      let box = linked.nonempty() ? linked.boundingBox() : { x1: 0, y2: -80, w: 0, h: 0 };
      // A tall layout in a wide frame is turned a quarter (x <-> y) so it fills the frame.
      if ((box.h > box.w * 1.2 && frame.w > frame.h) || (box.w > box.h * 1.2 && frame.h > frame.w)) {
        linked.nodes().positions((n) => ({ x: n.position("y"), y: n.position("x") }));
        box = linked.boundingBox();
      }
      // Then stretched (at most 1.6 times) along the frame's long side to use its room.
      if (linked.nonempty() && box.w > 0 && box.h > 0) {
        const want = frame.w / frame.h;
        const have = box.w / box.h;
        const sx = have < want ? Math.min(want / have, 1.6) : 1;
        const sy = have > want ? Math.min(have / want, 1.6) : 1;
        if (sx !== 1 || sy !== 1) {
          const cx = (box.x1 + box.x2) / 2;
          const cyy = (box.y1 + box.y2) / 2;
          linked.nodes().positions((n) => ({
            x: cx + (n.position("x") - cx) * sx,
            y: cyy + (n.position("y") - cyy) * sy,
          }));
          box = linked.boundingBox();
        }
      }
      const step = 150;
      const perRow = Math.max(1, Math.floor(Math.max(box.w, 600) / step) + 1);
      alone.positions((n, i) => ({
        x: box.x1 + (i % perRow) * step,
        y: box.y2 + 80 + Math.floor(i / perRow) * 90,
      }));
      fitGraph(cy);
      // What was drawn, for a person's tools and the end-to-end test alike.
      cy.container().setAttribute("data-drawn", `${cy.nodes().length} nodes, ${cy.edges().length} links`);
    };
    if (linked.empty()) {
      finish();
      return;
    }
    linked.layout({ name: "circle", sort: byId, fit: false }).run();
    const layout = linked.layout({
      name: "cose",
      randomize: false,
      animate: false,
      fit: false,
      nodeDimensionsIncludeLabels: true,
      idealEdgeLength: () => 60,
      nodeRepulsion: () => 5000,
      componentSpacing: 50,
      numIter: 1500,
    });
    layout.one("layoutstop", finish);
    layout.run();
  }

  function drawGraph(graph, focus, rowCount) {
    if (state.cy) {
      state.cy.destroy();
      state.cy = null;
    }
    $("graph").removeAttribute("data-drawn");
    const empty = $("graph-empty");
    empty.hidden = true;
    if (!graph.nodes.length) {
      empty.textContent = rowCount
        ? "The rows of this query name no entity, so there is no graph; the rows are below."
        : "The query returned no rows.";
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
    const elements = [];
    for (const node of graph.nodes) {
      const label = styleLabel(node.labels);
      const style = styleFor(label);
      elements.push({
        group: "nodes",
        data: {
          id: node.id,
          caption: clip(String(node.properties.name || node.id), 60),
          fill: style.fill,
          stroke: style.stroke,
        },
        classes: [`shape-${style.shape in SHAPES ? style.shape : "circle"}`, focus.has(node.id) ? "focus" : ""].join(" ").trim(),
      });
    }
    for (const rel of graph.relationships) {
      elements.push({
        group: "edges",
        data: { id: rel.id, source: rel.from_id, target: rel.to_id, caption: rel.type },
      });
    }
    const cy = window.cytoscape({
      container: $("graph"),
      elements,
      style: cyStyle(),
      layout: { name: "preset" },
      minZoom: 0.15,
      maxZoom: 4,
      boxSelectionEnabled: false,
      selectionType: "single",
    });
    layoutGraph(cy);
    cy.on("tap", "node", (evt) => showNode(evt.target.id()));
    cy.on("tap", "edge", (evt) => showEdge(evt.target.id()));
    cy.on("tap", (evt) => {
      if (evt.target === cy) showPlaceholder();
    });
    state.cy = cy;
  }

  function drawLegend(graph) {
    const list = clear($("legend"));
    const counts = new Map();
    for (const node of graph.nodes) {
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
      const style = styleFor(label);
      const swatch = el("span", { className: `swatch swatch-${style.shape}`, "aria-hidden": "true" });
      swatch.style.backgroundColor = style.fill; // CSSOM: allowed by the CSP, unlike style=""
      swatch.style.borderColor = style.stroke;
      list.append(el("li", {}, swatch, `${label} `, el("span", { className: "muted", text: counts.get(label) })));
    }
  }

  function cellContent(value) {
    if (value === null || value === undefined) return el("span", { className: "muted", text: "null" });
    if (typeof value === "string") {
      if (state.nodes.has(value) || state.relationships.has(value)) {
        const node = state.nodes.get(value);
        const what = node ? node.properties.name || value : state.relationships.get(value).type;
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
    if (state.nodes.has(id)) showNode(id);
    else if (state.relationships.has(id)) showEdge(id);
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
      const source = state.sources.get(id);
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
    const node = state.nodes.get(id);
    const name = node ? String(node.properties.name || id) : id;
    return el("button", { type: "button", className: "link", text: name, onclick: () => select(id) });
  }

  function showNode(id) {
    const node = state.nodes.get(id);
    if (!node) return;
    const props = node.properties;
    const panel = clear($("details"));
    panel.append(
      el("h2", { id: "details-title", text: String(props.name || id) }),
      el("p", { className: "labels" }, node.labels.map((l) => el("span", { className: "chip", text: l }))),
      el("p", {}, el("code", { className: "id", text: id }))
    );
    if (state.queries.has(LINKS_QUERY)) {
      panel.append(el("button", { type: "button", text: "Show its links", title: `run ${LINKS_QUERY} for this entity`, onclick: () => runLinksOf(id) }));
    }
    if (props.description) panel.append(el("p", { className: "description", text: String(props.description) }));
    panel.append(evidence(props));
    const table = propertyTable(Object.fromEntries(Object.entries(props).filter(([k]) => k !== "description")));
    if (table) panel.append(table);
  }

  function showEdge(id) {
    const rel = state.relationships.get(id);
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
                  runLinksOf(item.id);
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

  async function start() {
    if (typeof window.cytoscape !== "function") $("vendor-missing").hidden = false;
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
      search($("search-input").value);
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
      if (wanted && choose(wanted.name, wanted.params)) runForm();
    });

    const [queries, styles] = await Promise.all([
      api(`${API}/queries?mode=read`).catch((exc) => exc),
      api("/explore/styles.json").catch(() => FALLBACK_STYLES),
    ]);
    state.styles = styles;
    if (queries instanceof Error) {
      const needsKey = queries instanceof ApiError && queries.error.status === 401;
      setStatus(needsKey ? "Enter an API key above (viewer or higher)." : "Could not load the named queries.");
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
      runForm();
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
