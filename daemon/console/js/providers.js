// The Providers tab: the table of providers (archived ones set apart) with each row's menu:
// Edit settings, Mark as default, View stats, Archive and Delete.

import { api } from "./api.js";
import { h, replace, showError, notify, plural } from "./dom.js";
import { menuButton } from "./menu.js";
import { confirmDialog } from "./dialogs.js";
import { providerDialog } from "./provider-dialog.js";

/** Counts the active campaigns and journeys of a provider: what archiving or deleting stops. */
async function activeWork(providerId) {
  const campaigns = (await api.campaigns(providerId)).filter((c) => c.state === "active");
  const count = (kind) => campaigns.filter((c) => c.kind === kind).length;
  return `${plural(count("campaign"), "campaign", "campaigns")} and ${plural(count("journey"), "journey", "journeys")}`;
}

function stateBadge(provider) {
  return provider.state === "active"
    ? h("span", { class: "badge badge-ok" }, "Active")
    : h("span", { class: "badge badge-muted" }, "Archived");
}

export function providersView(root, { showStats }) {
  const errorSlot = h("div", {});
  const body = h("div", {});
  let plugins = [];

  async function load() {
    showError(errorSlot, null);
    root.setAttribute("aria-busy", "true");
    try {
      const [loaded, providers] = await Promise.all([api.plugins(), api.providers()]);
      plugins = loaded;
      add.disabled = plugins.length === 0;
      add.title = plugins.length === 0 ? "No plugin is loaded; ternd lists refused plugins in its log" : "";
      render(providers);
    } catch (err) {
      showError(errorSlot, err);
      if (plugins.length === 0) add.title = "The plugin list could not be loaded; see the error above";
    } finally {
      root.setAttribute("aria-busy", "false");
    }
  }

  function actions(p) {
    const active = p.state === "active";
    return menuButton(`Actions for ${p.name}`, [
      { label: "Edit settings", disabled: !active, action: () => providerDialog({ plugins, provider: p, onSaved: load }) },
      { label: "Mark as default", disabled: !active || p.default, action: () => markDefault(p) },
      { label: "View stats", action: () => showStats(p.id) },
      { label: "Archive", disabled: !active, danger: true, action: () => archive(p) },
      { label: "Delete", danger: true, action: () => remove(p) },
    ]);
  }

  async function markDefault(p) {
    showError(errorSlot, null);
    try {
      await api.markDefault(p.id);
      notify(`${p.name} is now the default provider.`);
      await load();
    } catch (err) {
      showError(errorSlot, err);
    }
  }

  // Archive and delete both say which active work they will stop, so they look it up first;
  // if that fails, the error is shown instead of a dialog that cannot say it.
  async function confirmStopping(p, dialog) {
    let work;
    try {
      work = await activeWork(p.id);
    } catch (err) {
      showError(errorSlot, err);
      return;
    }
    confirmDialog(dialog(work));
  }

  function stoppedNotice(verb, p, answer) {
    notify(`${verb} ${p.name}; stopped ${plural(answer.stopped.length, "campaign or journey", "campaigns and journeys")}.`);
  }

  function archive(p) {
    return confirmStopping(p, (work) => ({
      title: `Archive ${p.name}?`,
      message: [
        h("p", {}, h("strong", {}, "Archiving is irreversible. "),
          `It will stop ${work} that send through ${p.name}.`),
        h("p", {}, "The provider will send nothing more and cannot be edited or made the default. Its statistics stay readable, and callbacks for messages already sent are still counted."),
      ],
      confirmLabel: "Archive",
      onConfirm: async () => {
        stoppedNotice("Archived", p, await api.archive(p.id));
        await load();
      },
    }));
  }

  function remove(p) {
    return confirmStopping(p, (work) => ({
      title: `Delete ${p.name}?`,
      message: [
        h("p", {}, h("strong", {}, "All data of this provider will be removed: "),
          "its settings, message records and statistics. This cannot be undone."),
        h("p", {}, `It will stop ${work}, and its callbacks will be refused.`),
      ],
      confirmLabel: "Delete",
      typeToConfirm: p.name,
      onConfirm: async () => {
        stoppedNotice("Deleted", p, await api.remove(p.id));
        await load();
      },
    }));
  }

  function table(providers, caption) {
    return h("table", { class: "providers" },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "Plugin"),
        h("th", { scope: "col" }, "State"),
        h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
      h("tbody", {}, providers.map((p) => h("tr", { "data-provider": p.id },
        h("th", { scope: "row", class: "name" }, p.name,
          p.default ? h("span", { class: "badge badge-default" }, "Default") : null),
        h("td", {}, p.plugin),
        h("td", {}, stateBadge(p)),
        h("td", { class: "actions" }, actions(p))))));
  }

  function render(providers) {
    const active = providers.filter((p) => p.state === "active");
    const archived = providers.filter((p) => p.state === "archived");
    replace(body,
      active.length
        ? table(active, "Active providers")
        : h("p", { class: "empty" }, "No active providers. Add one to start sending."),
      archived.length
        ? h("section", { class: "archived", "aria-labelledby": "archived-title" },
          h("h2", { id: "archived-title" }, "Archived"),
          h("p", { class: "hint" }, "Archived providers send nothing; their statistics stay readable."),
          table(archived, "Archived providers"))
        : null);
  }

  // Disabled until the plugin list has loaded: the dialog needs a plugin to build its form.
  const add = h("button", {
    type: "button", class: "primary", disabled: true, title: "Loading the plugin list",
    onclick: () => providerDialog({ plugins, provider: null, onSaved: load }),
  }, "Add provider");
  replace(root,
    h("div", { class: "view-head" }, h("h1", {}, "SMS providers"), add),
    errorSlot,
    body);
  return { load };
}
