// The Campaigns tab: every campaign and journey with its state and stop reason, and a form to
// create one, with the default provider pre-selected.

import { api } from "./api.js";
import { h, field, replace, showError, notify } from "./dom.js";

const STOP_REASONS = {
  stopped_by_admin: "Stopped by an admin",
  provider_archived: "Provider archived",
  provider_deleted: "Provider deleted",
};

function when(timestamp) {
  return new Date(timestamp).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function campaignsView(root) {
  const list = h("div", {});
  const listError = h("div", {});
  const formError = h("div", {});
  const name = h("input", { name: "name", type: "text", required: true, maxlength: 200, autocomplete: "off" });
  const kind = h("select", { name: "kind" }, h("option", { value: "campaign" }, "Campaign"), h("option", { value: "journey" }, "Journey"));
  const provider = h("select", { name: "provider_id", required: true });
  const create = h("button", { type: "submit", class: "primary" }, "Create");
  const form = h("form", { class: "campaign-form", "aria-labelledby": "new-campaign-title" },
    h("h2", { id: "new-campaign-title" }, "New campaign or journey"),
    h("div", { class: "form-row" },
      field("Name", name, { required: true }),
      field("Kind", kind),
      field("Provider", provider, { required: true, hint: "The default provider is pre-selected." })),
    formError,
    create);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(formError, null);
    create.disabled = true;
    try {
      const body = { name: name.value, kind: kind.value };
      if (provider.value) body.provider_id = provider.value;
      const made = await api.createCampaign(body);
      notify(`Created the ${made.kind} ${made.name}.`);
      name.value = "";
      await load();
    } catch (err) {
      showError(formError, err);
    } finally {
      create.disabled = false;
    }
  });

  async function load() {
    showError(listError, null);
    root.setAttribute("aria-busy", "true");
    try {
      const [campaigns, providers] = await Promise.all([api.campaigns(), api.providers()]);
      fillProviders(providers);
      render(campaigns, new Map(providers.map((p) => [p.id, p.name])));
    } catch (err) {
      showError(listError, err);
    } finally {
      root.setAttribute("aria-busy", "false");
    }
  }

  function fillProviders(providers) {
    const active = providers.filter((p) => p.state === "active");
    const fallback = active.find((p) => p.default);
    replace(provider,
      fallback ? null : h("option", { value: "" }, active.length ? "Choose a provider" : "No active provider"),
      active.map((p) => h("option", { value: p.id, selected: p.default }, p.default ? `${p.name} (default)` : p.name)));
  }

  function render(campaigns, names) {
    if (!campaigns.length) {
      replace(list, h("p", { class: "empty" }, "No campaigns or journeys yet."));
      return;
    }
    replace(list, h("div", { class: "table-scroll" }, h("table", { class: "campaigns" },
      h("caption", { class: "sr-only" }, "Campaigns and journeys"),
      h("thead", {}, h("tr", {}, ["Name", "Kind", "Provider", "State", "Stop reason", "Created"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, campaigns.map((c) => h("tr", { "data-campaign": c.id },
        h("th", { scope: "row" }, c.name),
        h("td", {}, c.kind),
        h("td", {}, names.get(c.provider_id) ?? `deleted provider ${c.provider_id}`),
        h("td", {}, h("span", { class: `badge ${c.state === "active" ? "badge-ok" : "badge-muted"}` }, c.state === "active" ? "Active" : "Stopped")),
        h("td", { class: "stop-reason" }, c.stop_reason ? STOP_REASONS[c.stop_reason] ?? c.stop_reason : "—"),
        h("td", {}, when(c.created_at))))))));
  }

  replace(root, h("div", { class: "view-head" }, h("h1", {}, "Campaigns and journeys")), form, listError, list);
  return { load };
}
