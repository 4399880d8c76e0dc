// affectlens web page: plain JavaScript, no build step, no network beyond this service.
"use strict";

// Okabe–Ito colours (distinguishable with colour-blindness), then Paul Tol's muted ones; past those, hues a
// golden angle apart. Each label gets its own colour the first time the page shows it, so no two labels share one.
const PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442", "#332288",
  "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499", "#DDCC77", "#CC6677", "#999999"];
const labelColours = new Map();
const KEY_NEEDED = "this service needs an API key: enter it under “API key” below";
let status = { ready: "connecting…", key: false };
const taxonomies = {};
let pollTimer = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function nthColour(k) {
  return k < PALETTE.length ? PALETTE[k] : `hsl(${Math.round((k * 137.508) % 360)} 62% 42%)`;
}

function colourOf(label) {
  if (!labelColours.has(label)) labelColours.set(label, nthColour(labelColours.size));
  return labelColours.get(label);
}

function headers(json = true) {
  const h = json ? { "Content-Type": "application/json" } : {};
  const key = sessionStorage.getItem("affectlens-key");
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function call(method, path, body, json = true) {
  const response = await fetch(path, { method, headers: headers(json), body });
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const e = (data && data.error) || { message: response.statusText };
    const retry = response.headers.get("retry-after");
    const error = new Error(e.message + (e.hint ? " — " + e.hint : "") + (retry ? ` (retry in ${retry} s)` : ""));
    error.status = response.status;
    throw error;
  }
  return data;
}

function showError(where, error) {
  const box = $(where + "-error");
  box.hidden = !error;
  box.textContent = error ? String(error.message || error) : "";
}

// ---- tabs (arrow keys move between them, as the ARIA pattern says)
function selectTab(tab) {
  for (const t of document.querySelectorAll('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) selectTab(tabs[(i + step + tabs.length) % tabs.length]);
    });
  });
}

// ---- texts
function highlighted(analysis) {
  // Evidence spans may overlap: draw each character with the strongest span that covers it.
  const text = analysis.text;
  const owner = new Array(text.length).fill(null);
  const spans = analysis.evidence.filter((e) => !e.kind || e.kind === "span").sort((a, b) => a.weight - b.weight);
  for (const span of spans) for (let i = span.start; i < span.end; i++) owner[i] = span;
  const out = el("p", { class: "text" });
  let i = 0;
  while (i < text.length) {
    const span = owner[i];
    let j = i;
    while (j < text.length && owner[j] === span) j++;
    const piece = text.slice(i, j);
    if (span) {
      const colour = colourOf(span.label);
      out.append(
        el("mark", { title: `${span.label} (evidence weight ${span.weight.toFixed(2)})`, "data-label": span.label,
          style: `background:${colour}55;border-bottom:3px solid ${colour}` }, piece),
        el("span", { class: "sr-only" }, ` [${span.label}]`));
    } else out.append(piece);
    i = j;
  }
  return out;
}

function scoreBars(analysis) {
  const top = Object.entries(analysis.scores).sort((a, b) => b[1] - a[1]).slice(0, 6);
  const list = el("ul", { class: "scores", "aria-label": "scores" });
  for (const [label, score] of top) {
    const chosen = analysis.labels.includes(label);
    list.append(el("li", { class: chosen ? "chosen" : "" },
      el("span", { class: "label" }, el("span", { class: "swatch", style: `background:${colourOf(label)}` }), label,
        chosen ? el("span", { class: "sr-only" }, " (decided)") : null),
      el("span", { class: "bar", role: "img", "aria-label": `${(score * 100).toFixed(0)} percent` },
        el("span", { style: `width:${(score * 100).toFixed(1)}%;background:${colourOf(label)}` })),
      el("span", { class: "value" }, score.toFixed(2))));
  }
  return list;
}

function vadLine(vad) {
  const parts = ["valence", "arousal", "dominance"].map((d) => {
    const interval = vad.intervals && vad.intervals[d];
    return `${d} ${vad[d].toFixed(2)}` + (interval ? ` [${interval[0].toFixed(2)}, ${interval[1].toFixed(2)}]` : "");
  });
  return parts.join(" · ") + (vad.coverage ? ` (${Math.round(vad.coverage * 100)}% intervals)` : "");
}

function analysisCard(analysis) {
  const card = el("article", { class: "card analysis" });
  card.append(highlighted(analysis));
  card.append(el("p", { class: "meta" },
    el("strong", {}, analysis.labels.length ? analysis.labels.join(", ") : "no label"),
    ` · dominant ${analysis.dominant || "—"} · sentiment ${analysis.sentiment} · confidence ${analysis.confidence.toFixed(2)}`));
  card.append(scoreBars(analysis));
  card.append(el("p", { class: "vad" }, "VAD: " + vadLine(analysis.vad)));
  if (analysis.rationale) card.append(el("p", { class: "rationale" }, analysis.rationale));
  for (const warning of analysis.warnings) card.append(el("p", { class: "warning" }, "⚠ " + warning));
  return card;
}

async function analyzeTexts(event) {
  event.preventDefault();
  showError("texts", null);
  const raw = $("texts-input").value;
  const texts = $("texts-lines").checked ? raw.split("\n").filter((t) => t.trim()) : [raw];
  const button = $("texts-submit");
  button.disabled = true;
  try {
    const body = { texts, taxonomy: $("texts-taxonomy").value, explain: $("texts-explain").checked };
    const data = await call("POST", "/v1/analyze", JSON.stringify(body));
    $("texts-results").replaceChildren(...data.analyses.map(analysisCard));
  } catch (error) {
    showError("texts", error);
  } finally {
    button.disabled = false;
  }
}

// ---- images: the photo with an SVG layer of face boxes and, per label, the regions that carry it
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function imageFigure(media, url) {
  const figure = el("figure", { class: "photo" });
  const img = el("img", { src: url, alt: `the analysed image, ${media.faces.length} face(s) found`, "data-testid": "photo" });
  const layer = svg("svg", { viewBox: `0 0 ${media.width} ${media.height}`, class: "overlay", "aria-hidden": "true",
    preserveAspectRatio: "none" });
  const stroke = Math.max(2, Math.round(Math.max(media.width, media.height) / 250));
  media.faces.forEach((face, n) => {
    const a = face.analysis, b = face.box, colour = colourOf(a.dominant || "face");
    for (const e of a.evidence.filter((e) => e.kind === "region")) {
      layer.append(svg("rect", { x: e.box.x, y: e.box.y, width: e.box.w, height: e.box.h, class: "region",
        "data-face": n + 1, "data-label": e.label, "data-region": e.region, fill: colourOf(e.label), "fill-opacity": 0.35,
        stroke: colourOf(e.label), "stroke-width": stroke / 2 },
      svg("title", {}, `${e.region}: hiding it lowers ${e.label} by ${e.weight.toFixed(2)}`)));
    }
    layer.append(svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, class: "face-box", "data-face": n + 1,
      fill: "none", stroke: colour, "stroke-width": stroke }));
    const tag = svg("text", { x: b.x + stroke, y: Math.max(b.y - stroke, stroke * 6), fill: colour, class: "face-tag",
      "font-size": Math.max(12, Math.round(b.w / 7)) });
    tag.textContent = `${n + 1} ${a.dominant || ""}`;
    layer.append(tag);
  });
  figure.append(el("div", { class: "photo-frame" }, img, layer));
  figure.append(el("figcaption", {}, media.faces.length
    ? `${media.faces.length} face(s) · boxes coloured by each face's dominant label · shaded: the regions that carry it`
    : "no face found"));
  return figure;
}

function regionToggles(figure, media) {
  // one button per label that has region evidence: show only that label's regions, or all again
  const labels = [...new Set(media.faces.flatMap((f) => f.analysis.evidence.filter((e) => e.kind === "region").map((e) => e.label)))];
  if (!labels.length) return null;
  const bar = el("p", { class: "toggles" }, "Evidence for: ");
  const show = (label) => {
    for (const rect of figure.querySelectorAll("rect.region")) rect.style.display = !label || rect.dataset.label === label ? "" : "none";
    for (const button of bar.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.label === (label || "")));
  };
  for (const label of ["", ...labels]) {
    const button = el("button", { type: "button", "data-label": label, "aria-pressed": String(label === "") }, label || "all");
    button.addEventListener("click", () => show(label));
    bar.append(button);
  }
  return bar;
}

function thumbnail(label) {
  return el("canvas", { width: 72, height: 72, class: "face-thumb", "data-testid": "face-thumb", role: "img", "aria-label": label });
}

function drawFace(canvas, source, box, scale) {
  // the face's box, cut from the picture the user chose (the page's own copy: nothing more is sent)
  canvas.getContext("2d").drawImage(source, box.x * scale, box.y * scale, box.w * scale, box.h * scale, 0, 0, canvas.width, canvas.height);
  canvas.dataset.drawn = "true";
}

function summaryCard(media) {
  // the whole file as one answer: the offline models', or a multimodal model's verified one beside the offline reading
  const a = media.summary, card = el("article", { class: "card analysis summary", "data-testid": "media-summary" });
  card.append(el("h3", {}, "Overall", el("span", { class: "meta" }, ` · ${media.backend}`)));
  card.append(el("p", { class: "meta" }, el("strong", {}, a.labels.length ? a.labels.join(", ") : "no label"),
    ` · confidence ${a.confidence.toFixed(2)} · VAD ${vadLine(a.vad)}`));
  if (a.rationale) card.append(el("p", { class: "rationale" }, a.rationale));
  const said = a.evidence.filter((e) => e.kind === "time" && e.text);
  if (said.length) card.append(el("p", { class: "meta" }, "said: ", ...said.map((e) => el("mark", {
    "data-label": e.label, style: `background:${colourOf(e.label)}55` }, `“${e.text}” ${e.start_s.toFixed(1)}–${e.end_s.toFixed(1)} s`)).flatMap((m) => [m, " "])));
  const o = media.offline_summary;
  if (o) card.append(el("p", { class: "meta" }, `the offline models: ${o.labels.length ? o.labels.join(", ") : "no label"} · confidence ${o.confidence.toFixed(2)}`));
  for (const warning of a.warnings) card.append(el("p", { class: "warning" }, "⚠ " + warning));
  return card;
}

function faceCard(face, n) {
  const a = face.analysis, card = el("article", { class: "card analysis", "data-testid": "face-card" });
  card.append(el("h3", {}, thumbnail(`face ${n + 1}`), `Face ${n + 1}`,
    el("span", { class: "meta" }, ` at ${face.box.x}, ${face.box.y} (${face.box.w}×${face.box.h} px)`)));
  card.append(el("p", { class: "meta" },
    el("strong", {}, a.labels.length ? a.labels.join(", ") : "no label"),
    ` · sentiment ${a.sentiment} · confidence ${a.confidence.toFixed(2)}`));
  card.append(scoreBars(a));
  card.append(el("p", { class: "vad" }, "VAD: " + vadLine(a.vad)));
  if (a.rationale) card.append(el("p", { class: "rationale" }, a.rationale));
  for (const warning of a.warnings) card.append(el("p", { class: "warning" }, "⚠ " + warning));
  return card;
}

async function analyzeImage(event) {
  event.preventDefault();
  showError("image", null);
  const file = $("image-input").files[0];
  if (!file) return;
  const button = $("image-submit");
  button.disabled = true;
  try {
    const form = new FormData();
    form.append("image", file);
    form.append("taxonomy", $("image-taxonomy").value);
    form.append("faces", $("image-faces").value);
    form.append("explain", String($("image-explain").checked));
    form.append("backend", $("image-backend").value);
    const media = await call("POST", "/v1/analyze/image", form, false);
    const figure = imageFigure(media, URL.createObjectURL(file));
    const cards = media.faces.map(faceCard);
    const parts = [figure, regionToggles(figure, media), summaryCard(media), ...cards];
    for (const warning of media.warnings) parts.push(el("p", { class: "warning" }, "⚠ " + warning));
    $("image-results").replaceChildren(...parts.filter(Boolean));
    const img = figure.querySelector("img");
    const draw = () => cards.forEach((card, n) =>
      drawFace(card.querySelector("canvas"), img, media.faces[n].box, img.naturalWidth / media.width));
    if (img.complete) draw(); else img.addEventListener("load", draw, { once: true });
  } catch (error) {
    showError("image", error);
  } finally {
    button.disabled = false;
  }
}

// ---- recordings and videos: a timeline of valence and arousal, the transcript with its evidence, conflicts
function timeline(media) {
  const width = 640, height = 200, pad = 32;
  const end = Math.max(media.duration_s || 0, ...media.segments.map((s) => s.end_s), 1);
  const x = (t) => pad + (t / end) * (width - 2 * pad);
  const y = (v) => height / 2 - v * (height / 2 - pad);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "timeline",
    "aria-label": "Valence (solid) and arousal (dashed) of each voice segment over time, from -1 to +1; conflicts in red" });
  chart.append(svg("line", { x1: pad, x2: width - pad, y1: y(0), y2: y(0), stroke: "#888", "stroke-dasharray": "4 4" }));
  for (const [v, label] of [[1, "+1"], [-1, "−1"]]) {
    const t = svg("text", { x: 2, y: y(v) + 4, class: "axis" });
    t.textContent = label;
    chart.append(t);
  }
  for (const s of media.segments) {
    if (s.conflict) chart.append(svg("rect", { x: x(s.start_s), y: pad / 2, width: Math.max(2, x(s.end_s) - x(s.start_s)),
      height: height - pad, fill: "#D55E00", "fill-opacity": 0.15, class: "conflict" }, svg("title", {}, s.conflict.note)));
  }
  for (const [dim, dash, colour] of [["valence", "", "#0072B2"], ["arousal", "6 4", "#E69F00"]]) {
    const points = media.segments.map((s) => `${x((s.start_s + s.end_s) / 2)},${y(s.analysis.vad[dim])}`).join(" ");
    if (points) chart.append(svg("polyline", { points, fill: "none", stroke: colour, "stroke-width": 3, "stroke-dasharray": dash,
      class: `line-${dim}` }));
    for (const s of media.segments) chart.append(svg("circle", { cx: x((s.start_s + s.end_s) / 2), cy: y(s.analysis.vad[dim]),
      r: 4, fill: colour, class: `point-${dim}` }));
  }
  const legend = el("p", { class: "meta" }, "— valence · - - arousal · shaded: face and words disagree · ",
    `${media.segments.length} segment(s), ${(media.duration_s || 0).toFixed(1)} s`);
  return el("figure", { class: "timeline" }, chart, legend);
}

function segmentCard(segment) {
  const a = segment.analysis;
  const card = el("article", { class: "card analysis", "data-testid": "segment-card" });
  const when = `${segment.start_s.toFixed(1)}–${segment.end_s.toFixed(1)} s`;
  card.append(el("h3", {}, when, segment.speaker ? ` · ${segment.speaker}` : ""));
  card.append(highlighted(a));
  card.append(el("p", { class: "meta" }, el("strong", {}, a.labels.length ? a.labels.join(", ") : "no label"),
    ` · confidence ${a.confidence.toFixed(2)} · VAD ${vadLine(a.vad)}`));
  const p = segment.prosody;
  if (p) card.append(el("p", { class: "vad" }, `voice: pitch ${p.pitch_hz ? p.pitch_hz.toFixed(0) + " Hz" : "—"}, `
    + `${p.rate_wps.toFixed(1)} words/s, ${p.energy_db.toFixed(0)} dB; arousal ${p.arousal_shift >= 0 ? "+" : ""}${p.arousal_shift.toFixed(2)} from the voice`));
  if (segment.face_summary) card.append(el("p", { class: "meta faces-line" }, thumbnail("a face seen during this segment"),
    `faces (${segment.faces.length} in frames): `
    + `${segment.face_summary.dominant || "—"} ${(segment.face_summary.scores[segment.face_summary.dominant] || 0).toFixed(2)}`));
  if (segment.conflict) card.append(el("p", { class: "warning conflict-note" }, `⚠ conflict (margin ${segment.conflict.margin.toFixed(2)}): ${segment.conflict.note}`));
  return card;
}

async function analyzeMedia(event) {
  event.preventDefault();
  showError("media", null);
  const file = $("media-input").files[0];
  if (!file) return;
  const button = $("media-submit");
  button.disabled = true;
  try {
    const form = new FormData();
    form.append("file", file);
    form.append("taxonomy", $("media-taxonomy").value);
    form.append("explain", String($("media-explain").checked));
    form.append("backend", $("media-backend").value);
    const media = await call("POST", "/v1/analyze/media", form, false);
    const cards = media.segments.map(segmentCard);
    const parts = [timeline(media), summaryCard(media), ...cards];
    for (const warning of media.warnings) parts.push(el("p", { class: "warning" }, "⚠ " + warning));
    $("media-results").replaceChildren(...parts);
    if (media.kind === "video") await videoThumbnails(file, media, cards);
  } catch (error) {
    showError("media", error);
  } finally {
    button.disabled = false;
  }
}

async function videoThumbnails(file, media, cards) {
  // each segment's most confident face, cut from the frame it was seen in, from the user's own file
  const video = el("video", { muted: "", preload: "auto" });
  video.src = URL.createObjectURL(file);
  const event = (name) => new Promise((ok, fail) => {
    video.addEventListener(name, ok, { once: true });
    video.addEventListener("error", fail, { once: true });
  });
  try {
    await event("loadeddata");
    for (const [n, segment] of media.segments.entries()) {
      const canvas = cards[n].querySelector("canvas.face-thumb");
      if (!canvas || !segment.faces.length) continue;
      const face = segment.faces.reduce((best, f) => (f.analysis.confidence > best.analysis.confidence ? f : best));
      const seeked = event("seeked");
      video.currentTime = face.frame_time_s;
      await seeked;
      drawFace(canvas, video, face.box, video.videoWidth / media.width);
    }
  } catch (error) {
    // a format this browser cannot play: the cards stay without thumbnails
  } finally {
    URL.revokeObjectURL(video.src);
  }
}

// ---- conversation
function parseTurns(raw) {
  return raw.split("\n").filter((line) => line.trim()).map((line) => {
    const m = line.match(/^\s*([^:]{1,40}):\s*(.*)$/);
    return m ? { speaker: m[1].trim(), text: m[2] } : { speaker: null, text: line };
  });
}

function trajectoryChart(result) {
  // Valence of each speaker's turns over the conversation: an SVG line per speaker, the legend beside it in HTML
  // (it wraps instead of being cut, however long the names).
  const width = 640, height = 220, pad = 36;
  const n = result.turns.length;
  const x = (turn) => pad + (n > 1 ? (turn / (n - 1)) * (width - 2 * pad) : (width - 2 * pad) / 2);
  const y = (v) => height / 2 - v * (height / 2 - pad);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("class", "trajectory");
  const speakers = result.dynamics.trajectories.map((t) => t.speaker);
  svg.setAttribute("aria-label", `Valence per turn for ${speakers.join(", ")}, from -1 (unpleasant) to +1 (pleasant)`);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    svg.append(node);
    return node;
  };
  add("line", { x1: pad, x2: width - pad, y1: y(0), y2: y(0), stroke: "#888", "stroke-dasharray": "4 4" });
  add("text", { x: 4, y: y(1) + 4, class: "axis" }, "+1");
  add("text", { x: 4, y: y(-1) + 4, class: "axis" }, "−1");
  const legend = el("ul", { class: "legend", "aria-hidden": "true" });
  result.dynamics.trajectories.forEach((trajectory, k) => {
    const colour = nthColour(k);
    const points = trajectory.turns.map((turn, i) => `${x(turn)},${y(trajectory.valence[i])}`).join(" ");
    add("polyline", { points, fill: "none", stroke: colour, "stroke-width": 3 });
    trajectory.turns.forEach((turn, i) => add("circle", { cx: x(turn), cy: y(trajectory.valence[i]), r: 5, fill: colour }));
    legend.append(el("li", {}, el("span", { class: "swatch", style: `background:${colour}` }), trajectory.speaker));
  });
  return el("figure", { class: "trajectory" }, svg, legend);
}

async function analyzeConversation(event) {
  event.preventDefault();
  showError("conversation", null);
  const button = $("conversation-submit");
  button.disabled = true;
  try {
    const turns = parseTurns($("conversation-input").value);
    const result = await call("POST", "/v1/conversations", JSON.stringify({ turns }));
    const list = el("ol", { class: "turns" });
    for (const turn of result.turns) {
      const a = turn.analysis;
      list.append(el("li", {}, el("strong", {}, (turn.speaker || "?") + ": "), a.text,
        el("span", { class: "meta" }, ` — ${a.dominant || "—"} (valence ${a.vad.valence.toFixed(2)})`)));
    }
    const d = result.dynamics;
    const summary = el("p", { class: "meta" },
      `${d.shifts.length} emotion shift(s); escalation: ${d.escalation ? "yes" : "no"}; ` +
      `${result.causes.length} likely cause link(s)`);
    $("conversation-results").replaceChildren(
      el("h2", {}, "Valence per speaker"), trajectoryChart(result), summary, list);
  } catch (error) {
    showError("conversation", error);
  } finally {
    button.disabled = false;
  }
}

// ---- file jobs
async function submitFile(event) {
  event.preventDefault();
  showError("file", null);
  const file = $("file-input").files[0];
  if (!file) return showError("file", new Error("choose a file first"));
  const form = new FormData();
  form.append("file", file);
  for (const [field, id] of [["text_column", "file-text-column"], ["time_column", "file-time-column"], ["taxonomy", "file-taxonomy"]]) {
    if ($(id).value) form.append(field, $(id).value);
  }
  $("file-submit").disabled = true;
  try {
    const job = await call("POST", "/v1/jobs", form, false);
    showJob(job);
    poll(job.id);
  } catch (error) {
    showError("file", error);
  } finally {
    $("file-submit").disabled = false;
  }
}

function showJob(job) {
  $("job").hidden = false;
  $("job").dataset.id = job.id;
  $("job-name").textContent = job.spec.name;
  $("job-state").textContent = job.state;
  $("job-progress").value = job.fraction;
  const p = job.progress || {};
  $("job-counts").textContent = p.rows ? `${p.rows_done} of ${p.rows} rows · ${p.bad_rows || 0} bad` : "";
  $("job-cancel").hidden = ["succeeded", "failed", "cancelled"].includes(job.state);
  const done = $("job-done");
  done.hidden = !["succeeded", "failed", "cancelled"].includes(job.state);
  done.replaceChildren();
  if (job.state === "succeeded") {
    const links = el("p", { id: "job-links" }, "preparing the links…");
    done.append(links);
    fillLinks(job, links);
  } else if (job.state === "failed" && job.error) {
    done.append(el("p", { class: "error" }, job.error.message + (job.error.hint ? " — " + job.error.hint : "")));
  }
  if (job.bad_rows && job.bad_rows.length) {
    done.hidden = false;
    done.append(el("details", {}, el("summary", {}, `${job.bad_rows.length} bad row(s)`),
      el("ul", {}, job.bad_rows.map((b) => el("li", {}, `line ${b.line}: ${b.reason}`)))));
  }
}

async function fillLinks(job, where) {
  // Links carry a signed token, not the key: a link (or a report opened in a new tab) cannot send a header.
  try {
    const links = await call("POST", `/v1/jobs/${job.id}/links`);
    where.replaceChildren(...[
      el("a", { href: links.result_jsonl, download: `${job.id}.jsonl` }, "Download rows (JSONL)"), " · ",
      el("a", { href: links.result_parquet, download: `${job.id}.parquet` }, "Parquet"),
      links.report ? [" · ", el("a", { href: links.report, target: "_blank", rel: "noopener", id: "job-report" }, "Open the report")]
        : el("span", { class: "meta" }, " (give a time column for the report of emotions over time)"),
      el("span", { class: "meta" }, ` · the links work for ${Math.round(links.expires_in / 60)} minutes`),
    ].flat());
  } catch (error) {
    where.replaceChildren(el("span", { class: "error" }, error.message));
  }
}

function poll(id) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    try {
      const job = await call("GET", `/v1/jobs/${id}`);
      showJob(job);
      if (!["succeeded", "failed", "cancelled"].includes(job.state)) poll(id);
    } catch (error) {
      showError("file", error);
      poll(id);
    }
  }, 700);
}

async function cancelJob() {
  try {
    showJob(await call("DELETE", `/v1/jobs/${$("job").dataset.id}`));
  } catch (error) {
    showError("file", error);
  }
}

function setUpDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) $("file-input").files = event.dataTransfer.files;
  });
}

// ---- start
async function loadTaxonomies() {
  try {
    for (const t of await call("GET", "/v1/taxonomies")) taxonomies[t.id.split("@")[0]] = t;
    for (const select of document.querySelectorAll("select.taxonomy")) {
      select.replaceChildren(...Object.keys(taxonomies).map((id) => el("option", { value: id }, `${id} — ${taxonomies[id].title}`)));
      select.value = select.dataset.default || "goemotions";
    }
    showError("texts", null);
    showStatus({ key: false });
  } catch (error) {
    if (error.status === 401) {  // not an error: this service wants a key, and the page says where it goes
      $("key-box").open = true;
      showStatus({ key: true });
      $("api-key").focus();
    } else showError("texts", error);
  }
}

function showStatus(change) {
  status = { ...status, ...change };
  $("status").textContent = status.ready + (status.key ? " · " + KEY_NEEDED : "");
}

async function start() {
  setUpTabs();
  setUpDrop();
  $("api-key").value = sessionStorage.getItem("affectlens-key") || "";
  $("api-key").addEventListener("change", (e) => {
    sessionStorage.setItem("affectlens-key", e.target.value);
    loadTaxonomies();  // a service with keys refused them before the key was given
  });
  $("texts-form").addEventListener("submit", analyzeTexts);
  $("conversation-form").addEventListener("submit", analyzeConversation);
  $("image-form").addEventListener("submit", analyzeImage);
  $("media-form").addEventListener("submit", analyzeMedia);
  $("file-form").addEventListener("submit", submitFile);
  $("job-cancel").addEventListener("click", cancelJob);
  await loadTaxonomies();
  for (let i = 0; i < 120; i++) {
    try {
      const ready = await call("GET", "/readyz");
      showStatus({ ready: `ready · ${ready.backends.join(", ")}` });
      for (const select of document.querySelectorAll("select.backend")) {
        // the offline models, or a backend of this service that may see media (an openai one)
        select.replaceChildren(...ready.backends.map((name) => el("option", { value: name }, name)));
        select.value = ready.backends.includes("embedded") ? "embedded" : ready.backends[0];
        select.closest("span").hidden = ready.backends.length < 2;
      }
      return;
    } catch (error) {
      showStatus({ ready: "loading the models… " + error.message });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

document.addEventListener("DOMContentLoaded", start);
