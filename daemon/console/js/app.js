// The console's entry point: the log-in form, the tabs, and the wiring between the views.

import { api, token, setToken, clearToken } from "./api.js";
import { showError } from "./dom.js";
import { providersView } from "./providers.js";
import { statsView } from "./stats.js";
import { campaignsView } from "./campaigns.js";

const $ = (id) => document.getElementById(id);
const TABS = ["providers", "stats", "campaigns"];
const TITLES = { providers: "Providers", stats: "Stats", campaigns: "Campaigns" };

let views = null;

function select(name, options = {}) {
  for (const tab of TABS) {
    const active = tab === name;
    const button = $(`tab-${tab}`);
    button.setAttribute("aria-selected", String(active));
    button.tabIndex = active ? 0 : -1;
    $(`view-${tab}`).hidden = !active;
  }
  $("crumb-current").textContent = TITLES[name];
  $("notice").textContent = options.keepNotice ? $("notice").textContent : "";
  if (options.focusTab) $(`tab-${name}`).focus();
  views[name].load(options.providerId);
}

function showLogin(error) {
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  showError($("login-error"), error || null);
  $("token").focus();
}

function showApp() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  if (!views) {
    views = {
      providers: providersView($("view-providers"), {
        showStats: (providerId) => select("stats", { providerId }),
      }),
      stats: statsView($("view-stats")),
      campaigns: campaignsView($("view-campaigns")),
    };
  }
  select("providers");
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  setToken($("token").value.trim());
  try {
    // Any authenticated route proves the token; the plugins list is the cheapest.
    await api.plugins();
    $("token").value = "";
    showApp();
  } catch (err) {
    clearToken();
    showLogin(err);
  }
});

$("logout").addEventListener("click", () => {
  clearToken();
  showLogin(null);
});

window.addEventListener("tern:unauthorized", (event) => {
  clearToken();
  showLogin(event.detail);
});

const tablist = document.querySelector("[role=tablist]");
tablist.addEventListener("click", (event) => {
  const tab = event.target.closest("[role=tab]");
  if (tab) select(tab.id.replace("tab-", ""));
});
tablist.addEventListener("keydown", (event) => {
  const at = TABS.findIndex((t) => $(`tab-${t}`).getAttribute("aria-selected") === "true");
  const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  select(TABS[(next + TABS.length) % TABS.length], { focusTab: true });
});

if (token()) showApp();
else showLogin(null);
