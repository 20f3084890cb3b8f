// The provider settings form, generated from a plugin's manifest (GET /v1/plugins): one
// labelled input per config field, required ones marked, secret ones as password inputs that
// show whether a value is set but never the value.

import { h, field, uid } from "./dom.js";

function control(spec, value) {
  const attrs = { name: spec.name, required: spec.required && !spec.secret ? true : undefined };
  if (spec.kind === "select") {
    const options = spec.required ? [] : [h("option", { value: "" }, "(not set)")];
    for (const option of spec.options) {
      options.push(h("option", { value: option, selected: option === value }, option));
    }
    return h("select", attrs, options);
  }
  if (spec.kind === "text") {
    const area = h("textarea", { ...attrs, rows: 4 });
    area.value = value ?? "";
    return area;
  }
  const type = spec.secret ? "password" : spec.kind === "url" ? "url" : "text";
  return h("input", {
    ...attrs, type, value: value ?? "", spellcheck: "false",
    autocomplete: spec.secret ? "new-password" : "off",
    placeholder: spec.default ?? undefined,
  });
}

/**
 * The form for `plugin`'s fields, prefilled from `provider` when editing.
 * Returns {element, values(), showErrors(fields), clearErrors()}.
 */
export function configForm(plugin, provider) {
  const stored = provider ? provider.config : {};
  const secretsSet = new Set(provider ? provider.secrets_set : []);
  const inputs = new Map();
  const rows = plugin.config.map((spec) => {
    const input = control(spec, spec.secret ? "" : stored[spec.name]);
    inputs.set(spec.name, { spec, input });
    let hint = spec.help || "";
    if (spec.secret) {
      const isSet = secretsSet.has(spec.name);
      input.placeholder = isSet ? "set (leave blank to keep it)" : "not set";
      if (isSet) hint = `${hint} A value is set; type a new one to replace it.`.trim();
      if (spec.required && !isSet) input.required = true;
    }
    const row = field(spec.label, input, { hint, required: spec.required });
    if (spec.secret) {
      row.querySelector("label").append(" ", h("span", {
        class: `badge ${secretsSet.has(spec.name) ? "badge-ok" : "badge-muted"}`,
      }, secretsSet.has(spec.name) ? "set" : "not set"));
    }
    const errorId = uid("ferr");
    const error = h("p", { class: "field-error", id: errorId, hidden: true });
    row.append(error);
    inputs.get(spec.name).error = error;
    return row;
  });

  function values() {
    const config = {};
    for (const [name, { spec, input }] of inputs) {
      const value = spec.secret ? input.value : input.value.trim();
      if (!provider) {
        if (value !== "") config[name] = value;
      } else if (spec.secret) {
        // A blank secret keeps the stored value.
        if (value !== "") config[name] = value;
      } else if (value !== (stored[name] ?? "")) {
        // A cleared field is removed (null); a changed one replaces the stored value.
        config[name] = value === "" ? null : value;
      }
    }
    return config;
  }

  function clearErrors() {
    for (const { input, error } of inputs.values()) {
      input.removeAttribute("aria-invalid");
      error.hidden = true;
      error.textContent = "";
    }
  }

  function showErrors(fields) {
    clearErrors();
    for (const problem of fields || []) {
      for (const name of problem.field.split(",")) {
        const entry = inputs.get(name.trim());
        if (!entry) continue;
        entry.input.setAttribute("aria-invalid", "true");
        entry.error.hidden = false;
        entry.error.textContent = problem.message;
        const described = entry.input.getAttribute("aria-describedby");
        entry.input.setAttribute("aria-describedby", `${described ? `${described} ` : ""}${entry.error.id}`);
      }
    }
  }

  return { element: h("div", { class: "config-fields" }, rows), values, showErrors, clearErrors };
}
