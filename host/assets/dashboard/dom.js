// Building DOM nodes without HTML strings: text is always text, never markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** An HTML element: `el("a", {href: "#/x"}, "text", child)`. */
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A figure the tests compare with the API: shown text, named by `data-figure`. */
export function figure(name, text, tag = "span", cls = "") {
  return el(tag, { "data-figure": name, class: cls || null }, text);
}

/** A titled panel. */
export function panel(title, ...children) {
  return el("section", { class: "panel" }, title ? el("h2", {}, title) : null, ...children);
}

/** A link inside the page. */
export function link(hash, text, attrs = {}) {
  return el("a", { href: hash, ...attrs }, text);
}
