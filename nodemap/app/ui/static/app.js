"use strict";
// The nodemap viewer page (no build step): device picker, feature tree and editors kept
// current over the WebSocket, live view with histogram, dependency graph (inline SVG laid
// out here), registers, feature sets (load report, diff) and the event log.
const LEVELS = { Beginner: 0, Expert: 1, Guru: 2, Invisible: 3 };
const rows = new Map();   // feature name -> {row, info}
const SVGNS = "http://www.w3.org/2000/svg";
let ws = null, wsOpen = false, liveStatus = null, selected = null;

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(path, init);
  return r.json();
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function bump(key) { document.body.dataset[key] = String(Number(document.body.dataset[key] || 0) + 1); }

// ---------------------------------------------------------------- feature tree

function buildTree(node, parent) {
  if (node.kind === "Category") {
    const d = el("details", { "data-name": node.name, "data-visibility": node.visibility });
    d.append(el("summary", { text: node.display_name || node.name }));
    for (const c of node.children || []) buildTree(c, d);
    d.addEventListener("toggle", watchVisible);
    parent.append(d);
  } else {
    const row = el("div", { class: "feature", id: "f-" + node.name,
      "data-name": node.name, "data-visibility": node.visibility });
    row.append(el("span", { class: "name", text: node.display_name || node.name, title: node.name }),
      el("span", { class: "editor" }), el("span", { class: "unit" }),
      el("span", { class: "access" }), el("span", { class: "error" }), el("span", { class: "reason" }));
    row.querySelector(".name").addEventListener("click", () => select(node.name));
    rows.set(node.name, { row, info: null });
    parent.append(row);
  }
}

function checkNumber(name, info, v) {
  if (!Number.isFinite(v)) return `${name}: not a number`;
  if (v < info.min || v > info.max) return `${name}: ${v} is outside ${info.min}..${info.max}`;
  if (info.inc && Number.isInteger(info.inc) && Number.isInteger(info.min) && (v - info.min) % info.inc !== 0)
    return `${name}: ${v} is not ${info.min} + a multiple of ${info.inc}`;
  return null;
}

function editorFor(name, info) {
  const wrap = el("span", { class: "editor" });
  const ro = info.access !== "RW" && info.access !== "WO";
  const send = (value) => {   // sent: no longer the user's unsent typing
    for (const i of wrap.querySelectorAll("input")) i.dataset.shown = i.value;
    write(name, value);
  };
  let input;
  if (info.kind === "Command") {
    input = el("button", { text: "Execute" });
    input.addEventListener("click", () => send(null));
    wrap.append(input, el("span", { class: "done", text: info.is_done === false ? " running" : " done" }));
  } else if (info.kind === "Enumeration") {
    input = el("select");
    for (const e of info.entries || []) input.append(el("option", { value: e, text: e }));
    if (info.value !== undefined && !(info.entries || []).includes(info.value))
      input.append(el("option", { value: info.value, text: info.value }));
    input.value = info.value;
    input.addEventListener("change", () => send(input.value));
    wrap.append(input);
  } else if (info.kind === "Boolean") {
    input = el("input", { type: "checkbox", class: "value" });
    input.checked = !!info.value;
    input.addEventListener("change", () => send(input.checked));
    wrap.append(input);
  } else if (info.min !== undefined && info.min !== null && info.max !== undefined && info.max !== null) {
    input = el("input", { type: "number", class: "value", min: info.min, max: info.max, step: info.inc || "any" });
    input.value = info.value;
    const slider = el("input", { type: "range", class: "slider", min: info.min, max: info.max,
      step: info.inc || (Number.isInteger(info.min) && Number.isInteger(info.max) ? 1 : "any") });
    slider.value = info.value;
    const commit = (text) => {
      const problem = checkNumber(name, info, Number(text));
      if (problem) { showError(name, problem); restore(name); return; }
      send(text);
    };
    input.addEventListener("change", () => commit(input.value));
    slider.addEventListener("input", () => { input.value = slider.value; });
    slider.addEventListener("change", () => commit(slider.value));
    // A slider only where dragging makes sense: writable, and a range a hand can cover.
    if (!ro && info.access === "RW" && info.max - info.min <= 1e7) wrap.append(slider);
    const big = (v) => Math.abs(v) >= 2 ** 31 - 1 ? (v < 0 ? "−∞" : "∞") : v;
    wrap.append(input, el("span", { class: "bounds", text: ` [${big(info.min)}..${big(info.max)}]` }));
  } else {
    input = el("input", { type: "text", class: "value" });
    input.value = info.value === undefined || info.value === null ? "" : info.value;
    input.addEventListener("change", () => send(input.value));
    wrap.append(input);
  }
  for (const i of wrap.querySelectorAll("input")) i.dataset.shown = i.value;
  if (ro && info.kind !== "Command") input.disabled = true;
  if (info.access === "NA" || info.access === "NI") input.disabled = true;
  return wrap;
}

function swapEditor(row, name, info) {
  // Blur first: a change handler run by the blur may itself re-render this row.
  const active = document.activeElement;
  if (active && row.contains(active)) active.blur();
  row.querySelector(".editor").replaceWith(editorFor(name, info));
}

function restore(name) {   // show the device's value again after a refused edit
  const r = rows.get(name);
  if (r && r.info) swapEditor(r.row, name, r.info);
}

function showError(name, text) {
  const r = rows.get(name); if (r) r.row.querySelector(".error").textContent = text;
}

function render(name, info) {
  const r = rows.get(name); if (!r) return;
  const active = document.activeElement;
  // Keep what the user is typing (focused and changed since shown); replace the rest.
  const focused = r.row.contains(active) && active.tagName === "INPUT" && active.type !== "checkbox"
    && active.value !== active.dataset.shown;
  const changed = r.info && JSON.stringify(r.info.value) !== JSON.stringify(info.value);
  r.info = info;
  r.row.classList.toggle("greyed", ["RO", "NA", "NI"].includes(info.access));
  r.row.title = info.tooltip || info.description || "";
  if (!focused) swapEditor(r.row, name, info);
  r.row.querySelector(".unit").textContent = info.unit || "";
  r.row.querySelector(".access").textContent = info.access || "";
  r.row.querySelector(".reason").textContent = info.reason || "";
  if (info.error) r.row.querySelector(".error").textContent = info.error;
  if (changed) { r.row.classList.remove("flash"); void r.row.offsetWidth; r.row.classList.add("flash"); }
}

function visibleNames() {
  const out = [];
  for (const [name, r] of rows) {
    let d = r.row.parentElement, open = !r.row.classList.contains("hidden");
    while (open && d && d.tagName === "DETAILS") { open = d.open; d = d.parentElement; }
    if (open) out.push(name);
  }
  return out;
}

function watchVisible() {
  if (wsOpen) ws.send(JSON.stringify({ type: "watch", names: visibleNames() }));
  else refreshVisible();
}

async function refreshVisible() {
  const names = visibleNames();
  if (!names.length) return;
  const infos = await api("/api/features", { names });
  for (const [n, info] of Object.entries(infos)) render(n, info);
}

async function write(name, value) {
  showError(name, "");
  const result = await api("/api/write", { name, value });
  if (!result.ok) {
    showError(name, result.error);
    restore(name);
  }
  if (!wsOpen) await refreshVisible();   // otherwise the server pushes what changed
}

function filter() {
  const level = LEVELS[document.getElementById("visibility").value];
  const q = document.getElementById("search").value.trim().toLowerCase();
  for (const [name, r] of rows) {
    const lv = LEVELS[r.row.dataset.visibility] ?? 0;
    r.row.classList.toggle("hidden", lv > level || (q && !name.toLowerCase().includes(q)));
  }
  if (q) document.querySelectorAll("#tree details").forEach((d) => { d.open = true; });
  watchVisible();
}

// ---------------------------------------------------------------- WebSocket

function setConn(text, up) {
  const c = document.getElementById("conn");
  c.textContent = text; c.classList.toggle("down", !up);
}

function connect() {
  ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  ws.binaryType = "blob";
  ws.onopen = () => { wsOpen = true; setConn("live updates", true); watchVisible(); };
  ws.onclose = () => {
    wsOpen = false; setConn("reconnecting…", false);
    setTimeout(connect, 2000);
  };
  ws.onmessage = (m) => {
    if (typeof m.data !== "string") { drawFrame(m.data); return; }
    const msg = JSON.parse(m.data);
    if (msg.type === "values") {
      bump("pushes");
      for (const [n, info] of Object.entries(msg.values)) render(n, info);
    } else if (msg.type === "live") {
      showLive(msg.status);
      if (msg.histogram) drawHistogram(msg.histogram);
    } else if (msg.type === "hello") {
      if (msg.live) showLive(msg.live);
      for (const e of msg.events || []) logEvent(e);
    } else if (msg.type === "event") {
      logEvent(msg.event);
    } else if (msg.type === "opened") {
      location.reload();
    }
  };
}

// ---------------------------------------------------------------- live view

function showLive(s) {
  liveStatus = s;
  document.getElementById("live-status").textContent = s.error ? s.error :
    `${s.running ? "running" : "stopped"} · ${s.frames} frames · ${s.fps} frames/s · ${s.mbps} MB/s · ` +
    `incomplete ${s.incomplete} · resent ${s.resent}` +
    (s.width ? ` · ${s.width}×${s.height} ${s.pixel_format} #${s.frame_id}` : "");
}

async function drawFrame(blob) {
  const frames = liveStatus ? liveStatus.frames : 0;
  const bitmap = await createImageBitmap(blob);
  const c = document.getElementById("view");
  c.width = bitmap.width; c.height = bitmap.height;
  c.getContext("2d").drawImage(bitmap, 0, 0);
  c.dataset.frames = String(frames);
  bump("frames");
}

function drawHistogram(h) {
  const c = document.getElementById("hist"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const colours = { mono: "#4a6a8a", r: "#d33", g: "#3a3", b: "#36d" };
  let peak = 1, total = 0;
  for (const bins of Object.values(h)) for (const v of bins) peak = Math.max(peak, Math.sqrt(v));
  for (const [k, bins] of Object.entries(h)) {
    g.strokeStyle = colours[k]; g.globalAlpha = k === "mono" ? 0.8 : 0.6; g.beginPath();
    bins.forEach((v, i) => {
      const y = c.height - (Math.sqrt(v) / peak) * (c.height - 2);
      g.moveTo(i + 0.5, c.height); g.lineTo(i + 0.5, y);
    });
    g.stroke();
    total = bins.reduce((a, b) => a + b, 0);
  }
  g.globalAlpha = 1;
  c.dataset.total = String(total);
  c.dataset.channels = Object.keys(h).join(",");
  const first = Object.values(h)[0];
  let lo = first.findIndex((v) => v > 0), hi = 255 - [...first].reverse().findIndex((v) => v > 0);
  document.getElementById("hist-legend").textContent =
    `${Object.keys(h).join("/")} · ${total} px · range ${lo}..${hi} (√ scale)`;
}

// ---------------------------------------------------------------- feature details

function select(name) {
  if (selected && rows.get(selected)) rows.get(selected).row.classList.remove("selected");
  selected = name;
  if (rows.get(name)) rows.get(name).row.classList.add("selected");
  showTab("feature");
  const r = rows.get(name);
  document.getElementById("feature-title").textContent = name;
  const info = r && r.info;
  document.getElementById("feature-text").textContent = info ?
    [info.kind, info.description || info.tooltip || ""].filter(Boolean).join(" — ") : "";
  showGraph(name);
  showRegisters(name);
}

const ACCESS = ["pIsLocked", "pIsAvailable", "pIsImplemented"];
const BOUNDS = ["pMin", "pMax", "pInc", "pValueDefault"];

function edgeClass(e) {
  if (e.kind !== "depends") return e.kind;
  const first = (e.label || "").split(" ")[0];
  if (ACCESS.includes(first)) return "access";
  if (BOUNDS.includes(first)) return "bounds";
  return "depends";
}

// Layered layout: the feature in column 0, what it reads to the right by depth, what it
// invalidates or selects in column -1; nodes in a column ordered by their parents' rows.
function layout(g) {
  const col = new Map([[g.name, 0]]);
  const out = new Map();
  for (const e of g.edges) {
    if (e.kind === "depends") { if (!out.has(e.source)) out.set(e.source, []); out.get(e.source).push(e.target); }
  }
  const queue = [g.name];
  for (let i = 0; i < queue.length && i < 2000; i++) {
    const n = queue[i];
    for (const t of out.get(n) || []) if (!col.has(t)) { col.set(t, col.get(n) + 1); queue.push(t); }
  }
  for (const e of g.edges) if (!col.has(e.target)) col.set(e.target, -1);
  for (const e of g.edges) if (!col.has(e.source)) col.set(e.source, -2);
  for (const n of Object.keys(g.nodes)) if (!col.has(n)) col.set(n, -1);
  const columns = new Map();
  for (const [n, c] of col) { if (!columns.has(c)) columns.set(c, []); columns.get(c).push(n); }
  const keys = [...columns.keys()].sort((a, b) => a - b);
  const row = new Map();
  const parents = new Map();
  for (const e of g.edges) { if (!parents.has(e.target)) parents.set(e.target, []); parents.get(e.target).push(e.source); }
  for (const c of keys) {
    const names = columns.get(c);
    const score = (n) => {
      const ps = (parents.get(n) || []).filter((p) => row.has(p));
      return ps.length ? ps.reduce((a, p) => a + row.get(p), 0) / ps.length : 1e9;
    };
    names.sort((a, b) => score(a) - score(b) || a.localeCompare(b));
    names.forEach((n, i) => row.set(n, i));
  }
  return { col, row, keys, columns };
}

async function showGraph(name) {
  const g = await api("/api/graph/" + encodeURIComponent(name));
  const box = document.getElementById("graph");
  box.replaceChildren();
  if (g.error) { box.textContent = g.error; return; }
  if (!g.edges.length) { box.textContent = `${name}: no dependencies (its value lives in the node itself)`; }
  const { col, row, keys, columns } = layout(g);
  const W = 170, H = 34, BW = 150, BH = 26;
  const minCol = keys[0], rowsMax = Math.max(...[...columns.values()].map((c) => c.length));
  const width = keys.length * W + 20, height = rowsMax * H + 20;
  const s = svg("svg", { viewBox: `0 0 ${width} ${height}`, id: "graph-svg", "data-nodes": Object.keys(g.nodes).length });
  const defs = svg("defs");
  for (const k of ["depends", "access", "bounds", "invalidates", "selects", "feature"]) {
    const m = svg("marker", { id: "arrow-" + k, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
    m.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-" + k }));
    defs.append(m);
  }
  s.append(defs);
  const colours = { depends: "#333", access: "#d17a00", bounds: "#7a4bb0", invalidates: "#c0392b", selects: "#2266cc", feature: "#999" };
  for (const [k, v] of Object.entries(colours)) defs.querySelector(".arrow-" + k).setAttribute("fill", v);
  const pos = (n) => ({ x: 10 + (col.get(n) - minCol) * W, y: 10 + row.get(n) * H });
  for (const e of g.edges) {
    if (!col.has(e.source) || !col.has(e.target)) continue;
    const k = edgeClass(e), a = pos(e.source), b = pos(e.target);
    let x1 = a.x + BW, x2 = b.x;
    if (b.x < a.x) { x1 = a.x; x2 = b.x + BW; }
    if (b.x === a.x) { x1 = a.x + BW; x2 = b.x + BW; }
    const y1 = a.y + BH / 2, y2 = b.y + BH / 2, mx = (x1 + x2) / 2 + (b.x === a.x ? 30 : 0);
    const p = svg("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, fill: "none",
      stroke: colours[k], "stroke-width": 1.4, "marker-end": `url(#arrow-${k})`, class: "edge edge-" + k,
      "stroke-dasharray": k === "invalidates" ? "5,3" : k === "selects" ? "2,3" : "none" });
    p.append(svg("title", {}, `${e.source} → ${e.target}: ${e.label || e.kind}`));
    s.append(p);
  }
  const REG = ["IntReg", "MaskedIntReg", "FloatReg", "StringReg", "Register", "StructEntry"];
  const CALC = ["SwissKnife", "IntSwissKnife", "Converter", "IntConverter"];
  for (const [n, type] of Object.entries(g.nodes)) {
    const { x, y } = pos(n);
    const cls = "node" + (n === g.name ? " focus" : "") + (REG.includes(type) ? " reg" : CALC.includes(type) ? " calc" : "");
    const grp = svg("g", { class: cls, "data-name": n });
    grp.append(svg("rect", { x, y, width: BW, height: BH, rx: REG.includes(type) ? 9 : 3 }));
    const label = n.length > 22 ? n.slice(0, 21) + "…" : n;
    grp.append(svg("text", { x: x + 5, y: y + 11 }, label));
    grp.append(svg("text", { x: x + 5, y: y + 22, fill: "#667", "font-size": 9 }, type));
    grp.append(svg("title", {}, `${n} (${type})`));
    if (rows.has(n)) grp.addEventListener("click", () => select(n));
    s.append(grp);
  }
  box.append(s);
}

async function showRegisters(name) {
  const body = document.querySelector("#registers tbody");
  body.replaceChildren();
  const r = await api("/api/registers/" + encodeURIComponent(name));
  if (r.error) { body.append(el("tr", {}, el("td", { colspan: 7, text: r.error }))); return; }
  if (!r.registers.length) body.append(el("tr", {}, el("td", { colspan: 7, text: "no register: the value is computed or held in the node" })));
  for (const g of r.registers) {
    const bits = g.lsb !== undefined || g.msb !== undefined ? `${g.msb ?? ""}..${g.lsb ?? ""}` : (g.bit ?? "");
    body.append(el("tr", { "data-node": g.node },
      el("td", { text: `${g.node} (${g.type})` }), el("td", { text: g.role }), el("td", { text: g.port || "" }),
      el("td", { text: g.address || "" }), el("td", { text: g.length ?? "" }), el("td", { text: bits }),
      el("td", { text: g.error ? g.error : (g.bytes || "") })));
  }
}

function showTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("hidden", t.id !== "tab-" + name);
}

// ---------------------------------------------------------------- feature sets, events

async function loadSet() {
  const report = document.getElementById("set-report");
  const table = document.getElementById("load-report"), body = table.querySelector("tbody");
  const r = await api("/api/set/load", { path: document.getElementById("set-path").value });
  report.replaceChildren(); body.replaceChildren();
  if (r.error) { report.textContent = r.error; table.classList.add("hidden"); return; }
  report.append(el("div", { text: `loaded (${r.format}): ${r.applied} applied, ${r.verified} verified, ${r.problems.length} problem(s)` }));
  for (const l of r.lines) {
    const ctx = l.context.length ? ` (${l.context.map((c) => c.join("=")).join(", ")})` : "";
    body.append(el("tr", { class: l.status },
      el("td", { text: l.line || "" }), el("td", { text: l.name + ctx }), el("td", { class: "mono", text: l.value }),
      el("td", { text: l.status === "ok" ? "applied" : l.reason })));
  }
  for (const p of r.problems.filter((p) => !r.lines.some((l) => l.name === p.name)))
    report.append(el("div", { class: "problem", text: `${p.name} = ${p.value}: ${p.reason}` }));
  table.classList.remove("hidden");
  if (!wsOpen) refreshVisible();
}

async function diffSets() {
  const r = await api("/api/set/diff", { left: document.getElementById("diff-left").value,
    right: document.getElementById("diff-right").value });
  const body = document.querySelector("#diff tbody"), summary = document.getElementById("diff-summary");
  body.replaceChildren();
  if (!r.ok) { summary.textContent = r.error; return; }
  document.getElementById("diff-lh").textContent = `${r.left.label} (${r.left.format})`;
  document.getElementById("diff-rh").textContent = `${r.right.label} (${r.right.format})`;
  summary.textContent = `${r.changed} of ${r.rows.length} differ`;
  const only = document.getElementById("diff-only").checked;
  for (const row of r.rows) {
    if (only && row.status === "same") continue;
    body.append(el("tr", { class: row.status.replace(" ", "-"), "data-name": row.name, title: row.status },
      el("td", { text: row.name }), el("td", { class: "mono", text: row.left ?? "—" }),
      el("td", { class: "mono", text: row.right ?? "—" })));
  }
}

function logEvent(e) {
  const log = document.getElementById("event-log");
  log.prepend(el("li", { text: e.text }));
  while (log.children.length > 200) log.lastChild.remove();
  document.getElementById("events-status").textContent = `${log.children.length} event(s)`;
}

async function listen() {
  const name = document.getElementById("event-name").value.trim();
  const r = await api("/api/events/start", { enable: name ? [name] : [] });
  const status = document.getElementById("events-status");
  if (!r.ok) { status.textContent = r.error; return; }
  status.textContent = `listening${r.enabled.length ? " (" + r.enabled.join(", ") + " enabled)" : ""}`;
  const list = document.getElementById("event-entries");
  list.replaceChildren(...r.entries.map((e) => el("option", { value: e })));
}

// ---------------------------------------------------------------- device picker

async function showPicker() {
  document.getElementById("picker").classList.remove("hidden");
  document.getElementById("viewer").classList.add("hidden");
  for (const id of ["visibility", "search"]) document.getElementById(id).closest("label, input").classList.add("hidden");
  const status = document.getElementById("discover-status");
  status.textContent = "discovering…";
  const r = await api("/api/devices");
  const body = document.querySelector("#device-list tbody");
  body.replaceChildren();
  for (const d of r.devices || []) {
    const open = el("button", { text: "Open" });
    open.addEventListener("click", async () => {
      status.textContent = `opening ${d.url}…`;
      const o = await api("/api/open", { url: d.url });
      if (o.ok) location.reload(); else status.textContent = o.error;
    });
    body.append(el("tr", { "data-url": d.url }, el("td", { class: "mono", text: d.url }), el("td", { text: d.transport || "" }),
      el("td", { text: d.vendor || "" }), el("td", { text: d.model || "" }), el("td", { text: d.serial || "" }),
      el("td", { text: d.source }), el("td", {}, open)));
  }
  if (!(r.devices || []).length) body.append(el("tr", {}, el("td", { colspan: 7, text: "no device answered" })));
  document.getElementById("discover-errors").replaceChildren(
    ...(r.errors || []).map((e) => el("div", { class: "problem", text: e })));
  const sims = document.getElementById("sim-list");
  sims.replaceChildren();
  for (const s of r.simulators || []) {
    const b = el("button", { "data-sim": s.name, text: `Start simulated ${s.name}` });
    b.title = s.summary;
    b.addEventListener("click", async () => {
      status.textContent = `starting ${s.name}…`;
      const o = await api("/api/simulate", { name: s.name });
      if (o.ok) location.reload(); else status.textContent = o.error;
    });
    sims.append(el("div", {}, b, el("span", { text: " " + (s.demo || s.summary) })));
  }
  status.textContent = `${(r.devices || []).length} device(s)`;
  document.body.dataset.picker = "1";
}

async function main() {
  const session = await api("/api/session");
  document.getElementById("device").textContent = session.device || "";
  const toPicker = document.getElementById("to-picker");
  toPicker.classList.toggle("hidden", !session.picker);
  toPicker.addEventListener("click", showPicker);
  document.getElementById("discover").addEventListener("click", showPicker);
  if (!session.open) { await showPicker(); connect(); return; }
  document.getElementById("viewer").classList.remove("hidden");
  const tree = await api("/api/tree");
  const root = document.getElementById("tree");
  // Root's own features (often the transport's bootstrap registers) go under "Other".
  const kids = tree.children || [];
  for (const c of kids.filter((c) => c.kind === "Category")) buildTree(c, root);
  const loose = kids.filter((c) => c.kind !== "Category");
  if (loose.length) buildTree({ name: "Other", display_name: "Other (not in a category)",
    kind: "Category", visibility: "Beginner", children: loose }, root);
  document.getElementById("visibility").addEventListener("change", filter);
  document.getElementById("search").addEventListener("input", filter);
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  document.getElementById("live-start").addEventListener("click", async () => {
    document.getElementById("view").dataset.frames = "0";
    const s = await api("/api/live/start", {}); showLive(s);
  });
  document.getElementById("live-stop").addEventListener("click", async () => {
    const s = await api("/api/live/stop", {}); showLive(s);
  });
  document.getElementById("frame-save").addEventListener("click", async () => {
    const r = await api("/api/live/save", { path: document.getElementById("frame-path").value });
    document.getElementById("frame-report").textContent = r.ok ?
      `saved frame ${r.frame_id} to ${r.path} (${r.bytes} bytes)` : r.error;
  });
  document.getElementById("view").addEventListener("mousemove", (ev) => {
    const c = ev.target, r = c.getBoundingClientRect();
    const x = Math.floor((ev.clientX - r.left) * c.width / r.width);
    const y = Math.floor((ev.clientY - r.top) * c.height / r.height);
    const p = c.getContext("2d").getImageData(x, y, 1, 1).data;
    document.getElementById("pixel").textContent = p[0] === p[1] && p[1] === p[2] ?
      `pixel (${x}, ${y}) = ${p[0]}` : `pixel (${x}, ${y}) = R${p[0]} G${p[1]} B${p[2]}`;
  });
  const report = document.getElementById("set-report");
  document.getElementById("set-save").addEventListener("click", async () => {
    const r = await api("/api/set/save", { path: document.getElementById("set-path").value,
      format: document.getElementById("set-format").value });
    report.textContent = r.ok ? `saved ${r.path}` : r.error;
  });
  document.getElementById("set-load").addEventListener("click", loadSet);
  document.getElementById("diff-run").addEventListener("click", diffSets);
  document.getElementById("diff-only").addEventListener("change", diffSets);
  document.getElementById("events-listen").addEventListener("click", listen);
  connect();
  // Without the WebSocket (a proxy that drops it) the page falls back to asking.
  setInterval(() => { if (!wsOpen) refreshVisible(); }, 2000);
  document.body.dataset.ready = "1";
}
main();
