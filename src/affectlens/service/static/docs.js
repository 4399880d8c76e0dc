// The API reference, drawn from /openapi.json by this page (no external Swagger UI: it works offline).
"use strict";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function ref(schema, spec) {
  if (!schema) return null;
  if (schema.$ref) return spec.components.schemas[schema.$ref.split("/").pop()];
  return schema;
}

function typeOf(schema, spec) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.anyOf) return schema.anyOf.map((s) => typeOf(s, spec)).join(" | ");
  if (schema.type === "array") return `${typeOf(schema.items, spec)}[]`;
  return schema.type || "";
}

function fields(schema, spec) {
  const s = ref(schema, spec);
  if (!s || !s.properties) return null;
  const rows = Object.entries(s.properties).map(([name, p]) =>
    el("tr", {}, el("td", {}, el("code", {}, name), (s.required || []).includes(name) ? " *" : ""),
      el("td", {}, typeOf(p, spec)), el("td", {}, p.description || "")));
  return el("table", { class: "fields" }, el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"),
    el("th", {}, "meaning"))), el("tbody", {}, rows));
}

async function start() {
  const spec = await (await fetch("/openapi.json")).json();
  const main = document.getElementById("operations");
  main.replaceChildren(el("p", {}, `${spec.info.title} ${spec.info.version} — ${spec.info.summary || ""}`));
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const card = el("article", { class: "card" },
        el("h2", {}, el("code", {}, `${method.toUpperCase()} ${path}`), " — ", op.summary || ""));
      if (op.description) card.append(el("p", {}, op.description));
      const params = (op.parameters || []).map((p) => `${p.name} (${p.in}${p.required ? ", required" : ""})`);
      if (params.length) card.append(el("p", {}, "parameters: ", params.join(", ")));
      const body = op.requestBody && op.requestBody.content;
      if (body) {
        for (const [media, content] of Object.entries(body)) {
          card.append(el("p", {}, `body (${media}): `, el("code", {}, typeOf(content.schema, spec))));
          const table = fields(content.schema, spec);
          if (table) card.append(table);
        }
      }
      const codes = Object.entries(op.responses || {}).map(([code, r]) => `${code} ${r.description}`);
      card.append(el("p", { class: "meta" }, "responses: ", codes.join(" · ")));
      main.append(card);
    }
  }
}

document.addEventListener("DOMContentLoaded", start);
