// Small DOM helpers. Text always goes in as text nodes, never as HTML, so names and messages
// from the API can never inject markup.

const SVG_NS = "http://www.w3.org/2000/svg";
let counter = 0;

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.setAttribute("class", value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An HTML element: h("button", {type: "button", onclick}, "Save"). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, for the chart. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A fresh id for label/aria wiring. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return build(el, {}, children);
}

/** An API error as the API says it: the message, then the code. */
export function errorBox(err) {
  const box = h("div", { class: "error", role: "alert" },
    h("span", { class: "error-message" }, err.message || String(err)),
    err.code ? h("code", { class: "error-code" }, err.code) : null);
  if (err.fields && err.fields.length) {
    box.append(h("ul", {}, err.fields.map((f) => h("li", {}, h("code", {}, f.field), ": ", f.message))));
  }
  return box;
}

/** Shows `err` in `slot`, or clears the slot when `err` is null. */
export function showError(slot, err) {
  if (err) replace(slot, errorBox(err));
  else slot.replaceChildren();
}

/** A short success message in the page's live region. */
export function notify(text) {
  const notice = document.getElementById("notice");
  notice.textContent = text;
}

/** A labelled form control: returns the wrapper; the control gets a generated id. */
export function field(label, control, { hint, required } = {}) {
  const id = control.id || uid("f");
  control.id = id;
  const wrap = h("div", { class: "field" },
    h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null));
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    wrap.append(control, h("p", { class: "hint", id: hintId }, hint));
  } else {
    wrap.append(control);
  }
  return wrap;
}

/** "1 campaign", "2 journeys". */
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
