// "Add provider" and "Edit settings": the name, the plugin's settings form, and a test send
// with the values as they stand in the form, before anything is saved.

import { api } from "./api.js";
import { h, field, replace, errorBox, notify } from "./dom.js";
import { openDialog } from "./dialogs.js";
import { configForm } from "./config-form.js";

/** The provider's answer to a test send: accepted or refused, its message, HTTP status, latency. */
function testReport(report) {
  const facts = [];
  if (report.provider_message_id) facts.push(["Provider message id", report.provider_message_id]);
  if (report.error) {
    facts.push(["Code", report.error.code]);
    if (report.error.provider_code) facts.push(["Provider code", report.error.provider_code]);
    facts.push(["Retryable", report.error.retryable ? "yes" : "no"]);
  }
  if (report.http_status !== undefined) facts.push(["HTTP status", String(report.http_status)]);
  if (report.latency_ms !== undefined) facts.push(["Latency", `${report.latency_ms} ms`]);
  return h("div", { class: `test-report ${report.ok ? "ok" : "refused"}` },
    h("p", { class: "test-verdict" }, report.ok
      ? "Accepted by the provider."
      : `Not accepted: ${report.error?.message ?? "the provider gave no reason."}`),
    h("dl", {}, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}

/**
 * Opens the dialog. `provider` is null to add one. `onSaved(provider)` runs after a save.
 */
export function providerDialog({ plugins, provider, onSaved }) {
  const editing = Boolean(provider);
  let plugin = editing ? plugins.find((p) => p.name === provider.plugin) : plugins[0];
  const name = h("input", { name: "name", type: "text", required: true, maxlength: 100, autocomplete: "off", value: editing ? provider.name : "" });
  const fieldsSlot = h("div", {});
  let form = null;

  function showFields() {
    if (!plugin) {
      replace(fieldsSlot, errorBox({
        code: "unknown_plugin",
        message: editing
          ? `The plugin ${provider.plugin} is not loaded, so only the name can be edited.`
          : "No plugin is loaded, so no provider can be added; ternd lists refused plugins in its log.",
      }));
      form = null;
      return;
    }
    form = configForm(plugin, provider);
    replace(fieldsSlot, plugin.description ? h("p", { class: "hint" }, plugin.description) : null, form.element);
  }

  const head = [field("Name", name, { required: true })];
  if (editing) {
    head.push(h("p", { class: "plugin-line" }, "Plugin: ", h("strong", {}, provider.plugin)));
  } else {
    const select = h("select", { name: "plugin", required: true },
      plugins.map((p) => h("option", { value: p.name }, `${p.name} ${p.version}`)));
    select.addEventListener("change", () => {
      plugin = plugins.find((p) => p.name === select.value);
      showFields();
    });
    head.push(field("Plugin", select, { required: true }));
  }
  showFields();

  const to = h("input", { name: "test_to", type: "tel", autocomplete: "off", placeholder: "+14155550100" });
  const result = h("div", { class: "test-result", role: "status", "aria-live": "polite" });
  const testButton = h("button", { type: "button", class: "secondary" }, "Send Test SMS");
  testButton.addEventListener("click", async () => {
    if (!form) return;
    testButton.disabled = true;
    replace(result, h("p", { class: "hint" }, "Sending…"));
    form.clearErrors();
    try {
      const config = form.values();
      const report = editing
        ? await api.testStored(provider.id, { to: to.value.trim(), config })
        : await api.testCandidate({ plugin: plugin.name, to: to.value.trim(), config });
      replace(result, testReport(report));
    } catch (err) {
      form.showErrors(err.fields);
      replace(result, errorBox(err));
    } finally {
      testButton.disabled = false;
    }
  });
  const testBox = h("fieldset", { class: "test-box" },
    h("legend", {}, "Test with these values"),
    h("p", { class: "hint" }, "Sends one real SMS with the settings as entered above, without saving them. Test messages are not counted in the stats."),
    h("div", { class: "inline" }, field("Send a test SMS to", to, { hint: "E.164, such as +14155550100" }), testButton),
    result);

  openDialog({
    title: editing ? `Edit settings: ${provider.name}` : "Add provider",
    wide: true,
    body: [h("p", { class: "hint" }, "Fields marked * are required."), head, fieldsSlot, testBox],
    submitLabel: editing ? "Save" : "Add provider",
    onSubmit: async () => {
      form?.clearErrors();
      try {
        let saved;
        const newName = name.value.trim();
        if (editing) {
          // Only what changed is sent: any `config`, even empty, makes ternd open, check and
          // store again every secret. Without its plugin, only the name can change.
          const body = {};
          const config = form ? form.values() : {};
          if (Object.keys(config).length) body.config = config;
          if (newName !== provider.name) body.name = newName;
          saved = await api.updateProvider(provider.id, body);
        } else {
          saved = await api.createProvider({ name: newName, plugin: plugin.name, config: form.values() });
        }
        notify(editing ? `Saved ${saved.name}.` : `Added ${saved.name}.`);
        onSaved(saved);
      } catch (err) {
        form?.showErrors(err.fields);
        throw err;
      }
    },
  });
  name.focus();
}
