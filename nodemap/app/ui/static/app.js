"use strict";
// The nodemap viewer page: tree, editors, polling, live view, feature sets (no build step).
const LEVELS = { Beginner: 0, Expert: 1, Guru: 2, Invisible: 3 };
const rows = new Map();   // feature name -> {row, info}

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

function buildTree(node, parent) {
  if (node.kind === "Category") {
    const d = el("details", { "data-name": node.name, "data-visibility": node.visibility });
    d.append(el("summary", { text: node.display_name || node.name }));
    for (const c of node.children || []) buildTree(c, d);
    d.addEventListener("toggle", () => { if (d.open) refreshVisible(); });
    parent.append(d);
  } else {
    const row = el("div", { class: "feature", id: "f-" + node.name,
      "data-name": node.name, "data-visibility": node.visibility });
    row.append(el("span", { class: "name", text: node.display_name || node.name }),
      el("span", { class: "editor" }), el("span", { class: "unit" }),
      el("span", { class: "access" }), el("span", { class: "error" }), el("span", { class: "reason" }));
    row.querySelector(".name").addEventListener("click", () => showGraph(node.name));
    rows.set(node.name, { row, info: null });
    parent.append(row);
  }
}

function editorFor(name, info) {
  const wrap = el("span", { class: "editor" });
  const ro = info.access !== "RW" && info.access !== "WO";
  const send = (value) => write(name, value);
  let input;
  if (info.kind === "Command") {
    input = el("button", { text: "Execute" });
    input.addEventListener("click", () => send(null));
    wrap.append(input, el("span", { class: "done", text: info.is_done === false ? " running" : " done" }));
  } else if (info.kind === "Enumeration") {
    input = el("select");
    for (const e of info.entries || []) input.append(el("option", { value: e, text: e }));
    input.value = info.value;
    input.addEventListener("change", () => send(input.value));
    wrap.append(input);
  } else if (info.kind === "Boolean") {
    input = el("input", { type: "checkbox" });
    input.checked = !!info.value;
    input.addEventListener("change", () => send(input.checked));
    wrap.append(input);
  } else if (info.min !== undefined && info.min !== null) {
    input = el("input", { type: "number", min: info.min, max: info.max, step: info.inc || "any" });
    input.value = info.value;
    input.addEventListener("change", () => {
      const v = Number(input.value);
      if (v < info.min || v > info.max) {
        showError(name, `${name}: ${v} is outside ${info.min}..${info.max}`); return;
      }
      if (info.inc && Number.isInteger(info.inc) && (v - info.min) % info.inc !== 0) {
        showError(name, `${name}: ${v} is not ${info.min} + a multiple of ${info.inc}`); return;
      }
      send(input.value);
    });
    wrap.append(input, el("span", { class: "bounds", text: ` [${info.min}..${info.max}]` }));
  } else {
    input = el("input", { type: "text" });
    input.value = info.value === undefined ? "" : info.value;
    input.addEventListener("change", () => send(input.value));
    wrap.append(input);
  }
  if (ro && info.kind !== "Command") input.disabled = true;
  if (info.access === "NA" || info.access === "NI") input.disabled = true;
  return wrap;
}

function showError(name, text) {
  const r = rows.get(name); if (r) r.row.querySelector(".error").textContent = text;
}

function render(name, info) {
  const r = rows.get(name); if (!r) return;
  const focused = r.row.contains(document.activeElement) && document.activeElement.tagName === "INPUT"
    && document.activeElement.type !== "checkbox";
  r.info = info;
  r.row.classList.toggle("greyed", ["RO", "NA", "NI"].includes(info.access));
  r.row.title = info.tooltip || info.description || "";
  if (!focused) r.row.querySelector(".editor").replaceWith(editorFor(name, info));
  r.row.querySelector(".unit").textContent = info.unit || "";
  r.row.querySelector(".access").textContent = info.access || "";
  r.row.querySelector(".reason").textContent = info.reason || "";
  if (info.error) r.row.querySelector(".error").textContent = info.error;
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

async function refreshVisible() {
  const names = visibleNames();
  if (!names.length) return;
  const infos = await api("/api/features", { names });
  for (const [n, info] of Object.entries(infos)) render(n, info);
}

async function write(name, value) {
  showError(name, "");
  const result = await api("/api/write", { name, value });
  if (!result.ok) showError(name, result.error);
  await refreshVisible();
}

function filter() {
  const level = LEVELS[document.getElementById("visibility").value];
  const q = document.getElementById("search").value.trim().toLowerCase();
  for (const [name, r] of rows) {
    const lv = LEVELS[r.row.dataset.visibility] ?? 0;
    r.row.classList.toggle("hidden", lv > level || (q && !name.toLowerCase().includes(q)));
  }
  if (q) document.querySelectorAll("details").forEach((d) => { d.open = true; });
  refreshVisible();
}

async function showGraph(name) {
  const g = await api("/api/graph/" + encodeURIComponent(name));
  const box = document.getElementById("graph");
  document.getElementById("graph-name").textContent = name;
  box.replaceChildren();
  if (g.error) { box.textContent = g.error; return; }
  const words = { depends: "reads", invalidates: "invalidates", selects: "selects", feature: "contains" };
  for (const e of g.edges) {
    box.append(el("div", { class: "edge edge-" + e.kind,
      text: `${e.source} ${words[e.kind] || e.kind} ${e.target}${e.label ? " (" + e.label + ")" : ""}` }));
  }
  if (!g.edges.length) box.textContent = `${name}: no dependencies`;
}

let liveTimer = null;
async function liveTick() {
  const s = await api("/api/live");
  document.getElementById("live-status").textContent = s.error ? s.error :
    `${s.running ? "running" : "stopped"} · ${s.frames} frames · ${s.fps} frames/s · ` +
    `incomplete ${s.incomplete} · resent ${s.resent}`;
  if (s.frames > 0) {
    const img = new Image();
    img.onload = () => {
      const c = document.getElementById("view");
      c.width = img.width; c.height = img.height;
      c.getContext("2d").drawImage(img, 0, 0);
      c.dataset.frames = String(s.frames);
    };
    img.src = "/api/frame.png?n=" + s.frames;
  }
  if (!s.running && liveTimer) { clearInterval(liveTimer); liveTimer = null; }
}

async function main() {
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
  document.getElementById("live-start").addEventListener("click", async () => {
    await api("/api/live/start", {});
    if (!liveTimer) liveTimer = setInterval(liveTick, 300);
  });
  document.getElementById("live-stop").addEventListener("click", async () => {
    await api("/api/live/stop", {}); liveTick();
  });
  document.getElementById("view").addEventListener("mousemove", (ev) => {
    const c = ev.target, r = c.getBoundingClientRect();
    const x = Math.floor((ev.clientX - r.left) * c.width / r.width);
    const y = Math.floor((ev.clientY - r.top) * c.height / r.height);
    const p = c.getContext("2d").getImageData(x, y, 1, 1).data;
    document.getElementById("pixel").textContent = `(${x}, ${y}) = ${p[0]} ${p[1]} ${p[2]}`;
  });
  const report = document.getElementById("set-report");
  document.getElementById("set-save").addEventListener("click", async () => {
    const r = await api("/api/set/save", { path: document.getElementById("set-path").value,
      format: document.getElementById("set-format").value });
    report.textContent = r.ok ? `saved ${r.path}` : r.error;
  });
  document.getElementById("set-load").addEventListener("click", async () => {
    const r = await api("/api/set/load", { path: document.getElementById("set-path").value });
    report.replaceChildren();
    if (r.error) { report.textContent = r.error; return; }
    report.append(el("div", { text: `loaded (${r.format}): ${r.applied} applied, ${r.verified} verified` }));
    for (const p of r.problems) report.append(el("div", { class: "problem", text: `${p.name} = ${p.value}: ${p.reason}` }));
    refreshVisible();
  });
  setInterval(refreshVisible, 2000);
  document.body.dataset.ready = "1";
}
main();
