// Modal dialogs on the native <dialog>: focus moves into the dialog and back to what opened
// it, Escape closes it, and an API error from the action is shown inside it, leaving it open.

import { h, uid, showError } from "./dom.js";

/**
 * Opens a modal dialog.
 * - title: the heading; body: nodes; submitLabel: the main button; danger: a red main button.
 * - onSubmit: async; if it throws, the error is shown and the dialog stays open.
 * - extra: more buttons, placed before Cancel.
 * Returns {dialog, submit, close}.
 */
export function openDialog({ title, body, submitLabel, danger, onSubmit, extra, wide }) {
  const opener = document.activeElement;
  const titleId = uid("dialog-title");
  const errorSlot = h("div", { class: "dialog-error" });
  const submit = h("button", { type: "submit", class: danger ? "danger" : "primary" }, submitLabel);
  const cancel = h("button", { type: "button", class: "quiet", onclick: () => dialog.close() }, "Cancel");
  const form = h("form", { class: "dialog-form" },
    h("h2", { id: titleId }, title),
    h("div", { class: "dialog-body" }, body),
    errorSlot,
    h("div", { class: "dialog-actions" }, extra || [], cancel, submit));
  const dialog = h("dialog", { "aria-labelledby": titleId, class: wide ? "wide" : undefined }, form);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    showError(errorSlot, null);
    submit.disabled = true;
    dialog.setAttribute("aria-busy", "true");
    try {
      await onSubmit();
      dialog.close();
    } catch (err) {
      showError(errorSlot, err);
    } finally {
      submit.disabled = submit.dataset.locked === "true";
      dialog.removeAttribute("aria-busy");
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && document.contains(opener)) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, submit, close: () => dialog.close() };
}

/**
 * A confirmation: `message` nodes, and when `typeToConfirm` is set, an input the admin must
 * fill with exactly that text before the main button is enabled.
 */
export function confirmDialog({ title, message, confirmLabel, onConfirm, typeToConfirm }) {
  const body = [h("div", { class: "confirm-text" }, message)];
  let input = null;
  if (typeToConfirm !== undefined) {
    const id = uid("confirm");
    input = h("input", { id, type: "text", autocomplete: "off", spellcheck: "false", required: true });
    body.push(h("div", { class: "field" },
      h("label", { for: id }, "Type ", h("strong", {}, typeToConfirm), " to confirm"), input));
  }
  const opened = openDialog({ title, body, submitLabel: confirmLabel, danger: true, onSubmit: onConfirm });
  if (input) {
    const sync = () => {
      const locked = input.value !== typeToConfirm;
      opened.submit.dataset.locked = String(locked);
      opened.submit.disabled = locked;
    };
    input.addEventListener("input", sync);
    sync();
    input.focus();
  }
  return opened;
}
