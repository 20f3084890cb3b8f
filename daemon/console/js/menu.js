// The row's ellipsis menu: a menu button (aria-haspopup) whose items are reached with the
// arrow keys, Home and End; Escape or Tab closes it and focus returns to the button.

import { h, uid } from "./dom.js";

let openMenu = null;

document.addEventListener("pointerdown", (event) => {
  if (openMenu && !openMenu.wrap.contains(event.target)) openMenu.close(false);
});

/** A menu button labelled `label` with `items`: {label, action, disabled, danger}. */
export function menuButton(label, items) {
  const id = uid("menu");
  const button = h("button", {
    type: "button", class: "icon-button", "aria-haspopup": "menu", "aria-expanded": "false",
    "aria-controls": id, "aria-label": label, title: label,
  }, "⋯");
  const entries = items.map((item) => h("button", {
    type: "button", role: "menuitem", tabindex: "-1", disabled: item.disabled,
    class: item.danger ? "danger" : undefined,
    onclick: () => {
      state.close(false);
      item.action();
    },
  }, item.label));
  const list = h("div", { role: "menu", id, class: "menu", "aria-label": label, hidden: true }, entries);
  const wrap = h("div", { class: "menu-wrap" }, button, list);
  const enabled = () => entries.filter((e) => !e.disabled);

  const state = {
    wrap,
    open(focusLast) {
      if (openMenu && openMenu !== state) openMenu.close(false);
      list.hidden = false;
      button.setAttribute("aria-expanded", "true");
      openMenu = state;
      const items = enabled();
      (focusLast ? items[items.length - 1] : items[0])?.focus();
    },
    close(returnFocus) {
      list.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (openMenu === state) openMenu = null;
      if (returnFocus) button.focus();
    },
  };

  button.addEventListener("click", () => (list.hidden ? state.open(false) : state.close(true)));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      state.open(event.key === "ArrowUp");
    }
  });
  list.addEventListener("keydown", (event) => {
    const items = enabled();
    const at = items.indexOf(document.activeElement);
    const move = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
    if (move !== undefined) {
      event.preventDefault();
      items[(move + items.length) % items.length]?.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      state.close(true);
    } else if (event.key === "Tab") {
      state.close(false);
    }
  });
  return wrap;
}
