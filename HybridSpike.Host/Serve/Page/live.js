// The live page: polls /v2/telemetry (rates, grid, link loads) and /v2/models (version, populations) and
// /v2/streams (the stream list), and follows the chosen stream's outputs and the chosen population's spikes over
// server-sent events. No framework and no build step: the service ships this file as it is.
"use strict";

const $ = id => document.querySelector(`[data-testid="${id}"]`);
const svgNs = "http://www.w3.org/2000/svg";
const cell = 18;                       // heatmap pixels per core
const rasterRows = 240;                // steps the raster keeps in view (one canvas row each)
const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const state = {
  gridKey: null, populations: new Map(), models: [], streams: [],
  stream: null, population: null, outputs: null, spikes: null, rows: 0,
};

// Each source's last problem (telemetry, models, streams, a stream's events); cleared when it answers again.
const problems = new Map();
function status(source, text) {
  if (text) problems.set(source, text); else problems.delete(source);
  $("status").textContent = [...problems.values()].join("; ");
}

function number(v, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function joules(v) {
  if (v === null || v === undefined) return "–";
  const units = [[1, "J"], [1e-3, "mJ"], [1e-6, "µJ"], [1e-9, "nJ"], [1e-12, "pJ"]];
  const [scale, name] = units.find(([s]) => Math.abs(v) >= s) || units[units.length - 1];
  return `${(v / scale).toPrecision(4)} ${name}`;
}

// Turbo-like colour scale for t in [0, 1]: dark (idle) to red (busiest).
function heat(t) {
  const stops = [[48, 18, 59], [70, 98, 215], [26, 199, 194], [164, 252, 60], [251, 128, 34], [122, 4, 3]];
  t = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t)), f = t - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function colourOf(population) {
  if (!state.populations.has(population)) state.populations.set(population, palette[state.populations.size % palette.length]);
  return state.populations.get(population);
}

// The grid's cells (every core of every chip) and chip outlines: drawn again only when the grid or the cores change.
function drawGrid(t) {
  const g = t.grid, key = JSON.stringify([g, t.cores]);
  if (key === state.gridKey) return;
  state.gridKey = key;
  const svg = $("heatmap");
  svg.replaceChildren();
  // Scaled to the panel's width (the viewBox keeps the cells square).
  svg.setAttribute("width", "100%");
  svg.setAttribute("viewBox", `0 0 ${g.width * cell} ${g.height * cell}`);
  const used = new Map(t.cores.map(c => [`${c.x},${c.y}`, c.population]));
  const cells = document.createElementNS(svgNs, "g");
  for (let y = 0; y < g.height; y++)
    for (let x = 0; x < g.width; x++) {
      const r = document.createElementNS(svgNs, "rect");
      const population = used.get(`${x},${y}`);
      r.setAttribute("x", x * cell + 1); r.setAttribute("y", y * cell + 1);
      r.setAttribute("width", cell - 2); r.setAttribute("height", cell - 2);
      r.setAttribute("rx", 2);
      r.setAttribute("fill", population ? colourOf(population) : "#222c36");
      r.setAttribute("fill-opacity", population ? 0.55 : 1);
      r.dataset.testid = "heatmap-cell";
      r.dataset.x = x; r.dataset.y = y;
      if (population) r.dataset.population = population;
      const title = document.createElementNS(svgNs, "title");
      title.textContent = population ? `core (${x}, ${y}): ${population}` : `core (${x}, ${y}): unused`;
      r.appendChild(title);
      cells.appendChild(r);
    }
  svg.appendChild(cells);
  for (let cy = 0; cy < g.chipsY; cy++)
    for (let cx = 0; cx < g.chipsX; cx++) {
      const r = document.createElementNS(svgNs, "rect");
      r.setAttribute("x", cx * g.coresX * cell + 0.5); r.setAttribute("y", cy * g.coresY * cell + 0.5);
      r.setAttribute("width", g.coresX * cell - 1); r.setAttribute("height", g.coresY * cell - 1);
      r.setAttribute("fill", "none"); r.setAttribute("stroke", "#8a96a3"); r.setAttribute("stroke-width", 1);
      r.dataset.testid = "heatmap-chip";
      svg.appendChild(r);
    }
  const links = document.createElementNS(svgNs, "g");
  links.dataset.testid = "heatmap-links";
  svg.appendChild(links);
  $("grid-size").textContent = `${g.chipsX}×${g.chipsY} chips of ${g.coresX}×${g.coresY} cores, ${t.cores.length} in use`;
  $("population-legend").replaceChildren(...[...new Set(t.cores.map(c => c.population))].map(p => {
    const li = document.createElement("li");
    const swatch = document.createElement("i");
    swatch.style.background = colourOf(p);
    li.append(swatch, p);
    return li;
  }));
}

// Each directed link as a short bar between the two cells' centres, shifted to its side so both directions show.
function drawLinks(t) {
  const group = $("heatmap").querySelector('[data-testid="heatmap-links"]');
  const max = Math.max(0, ...t.links.map(l => l.packetsPerSecond));
  $("link-max").textContent = max > 0 ? `(busiest ${number(max)} packets/s)` : "(no traffic in the last interval)";
  group.replaceChildren(...t.links.map(l => {
    const line = document.createElementNS(svgNs, "line");
    const dx = l.toX - l.fromX, dy = l.toY - l.fromY;
    const ox = -dy * 3, oy = dx * 3;            // right-hand side of the direction of travel
    const cx = c => c * cell + cell / 2;
    line.setAttribute("x1", cx(l.fromX) + dx * 4 + ox); line.setAttribute("y1", cx(l.fromY) + dy * 4 + oy);
    line.setAttribute("x2", cx(l.toX) - dx * 4 + ox); line.setAttribute("y2", cx(l.toY) - dy * 4 + oy);
    const load = max > 0 ? Math.log1p(l.packetsPerSecond) / Math.log1p(max) : 0;
    line.setAttribute("stroke", l.packetsPerSecond > 0 ? heat(load) : "#3a4652");
    line.setAttribute("stroke-width", l.crossesChips ? 4 : 3);
    line.setAttribute("stroke-linecap", "round");
    line.dataset.testid = "heatmap-link";
    line.dataset.packetsPerSecond = l.packetsPerSecond;
    line.dataset.crossesChips = l.crossesChips;
    const title = document.createElementNS(svgNs, "title");
    title.textContent = `(${l.fromX}, ${l.fromY}) → (${l.toX}, ${l.toY}): ${number(l.packetsPerSecond, 1)} packets/s${l.crossesChips ? ", between chips" : ""}`;
    line.appendChild(title);
    return line;
  }));
}

async function pollTelemetry() {
  let next = 1000;
  try {
    const t = await getJson("/v2/telemetry");
    $("open-streams").textContent = t.openStreams;
    $("steps-per-second").textContent = number(t.stepsPerSecond);
    $("spikes-per-second").textContent = number(t.spikesPerSecond);
    $("energy-per-inference").textContent = joules(t.energyPerInferenceJoules);
    drawGrid(t);
    drawLinks(t);
    if (t.intervalSeconds > 0) next = Math.max(250, Math.min(5000, t.intervalSeconds * 1000));
    status("telemetry", "");
  } catch (e) { status("telemetry", `telemetry: ${e.message}`); }
  setTimeout(pollTelemetry, next);
}

async function pollModels() {
  try {
    state.models = await getJson("/v2/models");
    const serving = state.models.find(m => m.state === "serving") || state.models[0];
    if (serving) {
      $("model-name").textContent = serving.name;
      $("model-version").textContent = serving.version;
    }
    fillPopulations();
    status("models", "");
  } catch (e) { status("models", `models: ${e.message}`); }
  setTimeout(pollModels, 2000);
}

async function pollStreams() {
  try {
    state.streams = await getJson("/v2/streams");
    const select = $("stream-select");
    const ids = state.streams.map(s => s.id);
    if (JSON.stringify(ids) !== JSON.stringify([...select.options].map(o => o.value))) {
      select.replaceChildren(...state.streams.map(s => new Option(`${s.id} (${s.version})`, s.id)));
      if (ids.includes(state.stream)) select.value = state.stream;
    }
    if (!ids.includes(state.stream) && ids.length > 0) choose(ids[0], state.population);
    const s = state.streams.find(s => s.id === state.stream);
    $("stream-info").textContent = s ? `${s.model} ${s.version}, ${number(s.stepsTaken)} steps, ${s.state}` : "no open stream";
    status("streams", "");
  } catch (e) { status("streams", `streams: ${e.message}`); }
  setTimeout(pollStreams, 1000);
}

// The chosen stream's model's populations, quantized ones first (those have spikes).
function fillPopulations() {
  const s = state.streams.find(s => s.id === state.stream);
  const model = (s && state.models.find(m => m.version === s.version)) || state.models.find(m => m.state === "serving");
  const pops = ((model && model.populations) || []).slice().sort((a, b) => (b.quantized - a.quantized));
  const select = $("population-select");
  const names = pops.map(p => p.name);
  if (JSON.stringify(names) !== JSON.stringify([...select.options].map(o => o.value))) {
    select.replaceChildren(...pops.map(p => new Option(`${p.name} (${p.size}${p.quantized ? ", spiking" : ""})`, p.name)));
  }
  if (!names.includes(state.population) && names.length > 0) choose(state.stream, names[0]);
  else if (state.population) select.value = state.population;
}

function choose(stream, population) {
  const changedStream = stream !== state.stream, changedPopulation = population !== state.population;
  state.stream = stream;
  state.population = population;
  if (stream) $("stream-select").value = stream;
  if (changedStream) followOutputs();
  if (changedStream || changedPopulation) followSpikes();
}

function followOutputs() {
  if (state.outputs) state.outputs.close();
  state.outputs = null;
  $("outputs").replaceChildren();
  $("output-step").textContent = "–";
  $("output-argmax").textContent = "–";
  if (!state.stream) return;
  const source = new EventSource(`/v2/streams/${encodeURIComponent(state.stream)}/outputs`);
  source.onmessage = e => showOutputs(JSON.parse(e.data));
  source.onopen = () => status("outputs", "");
  source.onerror = () => status("outputs", source.readyState === EventSource.CLOSED ? `stream ${state.stream}: its outputs ended` : "");
  state.outputs = source;
}

function showOutputs(o) {
  $("output-step").textContent = o.step;
  $("output-argmax").textContent = o.argmax;
  const max = Math.max(1e-12, ...o.activity.map(Math.abs));
  const list = $("outputs");
  if (list.children.length !== o.activity.length)
    list.replaceChildren(...o.activity.map((_, i) => {
      const li = document.createElement("li");
      li.innerHTML = `<span class="index">${i}</span><span class="track"><span class="bar"></span></span><span class="value" data-testid="output-value"></span>`;
      return li;
    }));
  o.activity.forEach((v, i) => {
    const li = list.children[i];
    li.classList.toggle("argmax", i === o.argmax);
    li.classList.toggle("negative", v < 0);
    li.querySelector(".bar").style.width = `${(Math.abs(v) / max) * 100}%`;
    li.querySelector(".value").textContent = v.toPrecision(6);
    li.dataset.value = v;
  });
  list.dataset.step = o.step;
}

function followSpikes() {
  if (state.spikes) state.spikes.close();
  state.spikes = null;
  const canvas = $("raster");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  state.rows = 0;
  canvas.dataset.rows = 0;
  if (!state.stream || !state.population) return;
  const source = new EventSource(`/v2/streams/${encodeURIComponent(state.stream)}/spikes?population=${encodeURIComponent(state.population)}`);
  source.onmessage = e => rasterRow(JSON.parse(e.data));
  state.spikes = source;
}

// One step's counts as a new bottom row; what was there moves up a row (the raster scrolls).
function rasterRow(s) {
  const canvas = $("raster"), ctx = canvas.getContext("2d");
  const units = s.counts.length;
  if (canvas.width !== units) { canvas.width = Math.max(1, units); canvas.height = rasterRows; }
  ctx.drawImage(canvas, 0, -1);
  const row = ctx.createImageData(canvas.width, 1);
  const max = Math.max(1, ...s.counts.map(Math.abs));
  s.counts.forEach((n, i) => {
    const level = n === 0 ? 0 : 80 + Math.round(175 * Math.abs(n) / max);
    row.data.set(n >= 0 ? [level, level, level, 255] : [level, level * 0.4, 0, 255], i * 4);   // negative spikes amber
  });
  ctx.putImageData(row, 0, canvas.height - 1);
  state.rows++;
  canvas.dataset.rows = state.rows;
  canvas.dataset.step = s.step;
}

$("stream-select").addEventListener("change", e => { choose(e.target.value, state.population); fillPopulations(); });
$("population-select").addEventListener("change", e => choose(state.stream, e.target.value));
pollTelemetry();
pollModels();
pollStreams();
