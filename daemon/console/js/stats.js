// The Stats tab for one provider: a date range (7, 30 or 90 days, or custom), the totals and
// rates as cards, the daily chart with a toggle per series, and the CSV download.

import { api } from "./api.js";
import { h, field, replace, showError, uid, plural } from "./dom.js";
import { SERIES, drawChart, shortDate } from "./chart.js";

const PRESETS = [7, 30, 90];

/** `day` (YYYY-MM-DD) moved by `delta` days. */
function addDays(day, delta) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + delta)).toISOString().slice(0, 10);
}

function number(value) {
  return value.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

function card(label, value, note) {
  const id = uid("card");
  return h("div", { class: "card", role: "group", "aria-labelledby": id },
    h("p", { class: "card-label", id }, label),
    h("p", { class: "card-value" }, value),
    note ? h("p", { class: "card-note" }, note) : null);
}

export function statsView(root) {
  let providerId = null;
  let preset = 30;
  let today = null; // "today" in ternd's time zone, learnt from its first answer
  let stats = null; // the answer shown, which the CSV download repeats
  let sequence = 0; // numbers the refreshes: only the latest one's answer is shown
  const visible = new Set(SERIES.map((sr) => sr.key));

  const provider = h("select", { name: "provider" });
  provider.addEventListener("change", () => {
    providerId = provider.value;
    refresh();
  });
  const presetButtons = PRESETS.map((days) => {
    const button = h("button", { type: "button", class: "segment", "aria-pressed": String(days === preset) }, `${days} days`);
    button.addEventListener("click", () => {
      preset = days;
      refresh();
    });
    return button;
  });
  const from = h("input", { type: "date", required: true });
  const to = h("input", { type: "date", required: true });
  const custom = h("form", { class: "custom-range", "aria-label": "Custom range" },
    field("From", from), field("To", to), h("button", { type: "submit", class: "secondary" }, "Apply"));
  custom.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!custom.reportValidity()) return;
    preset = null;
    refresh();
  });
  // Enabled only while loaded stats are shown and no refresh is running.
  const csvButton = h("button", { type: "button", class: "secondary", disabled: true }, "Download CSV");
  csvButton.addEventListener("click", downloadCsv);

  const errorSlot = h("div", {});
  const summary = h("p", { class: "range-summary", role: "status", "aria-live": "polite" });
  const cards = h("div", { class: "cards" });
  const toggles = h("fieldset", { class: "toggles" }, h("legend", {}, "Series"),
    SERIES.map((sr) => {
      const box = h("input", { type: "checkbox", checked: true, name: sr.key });
      box.addEventListener("change", () => {
        if (box.checked) visible.add(sr.key);
        else visible.delete(sr.key);
        chart();
      });
      return h("label", { class: "toggle" }, box, h("span", { class: `swatch swatch-${sr.key}`, "aria-hidden": "true" }), sr.label);
    }));
  const chartBox = h("div", { class: "chart" });
  const content = h("div", { class: "stats-content", hidden: true }, cards,
    h("section", { class: "chart-section", "aria-labelledby": "chart-title" },
      h("h2", { id: "chart-title" }, "Per day"), toggles, chartBox));
  new ResizeObserver(() => chart()).observe(chartBox);

  function query() {
    if (preset === null) return { from: from.value, to: to.value };
    if (!today) return {};
    return { from: addDays(today, 1 - preset), to: today };
  }

  /** Hides the stats shown, with `text` as the summary. */
  function clear(text) {
    stats = null;
    csvButton.disabled = true;
    content.hidden = true;
    summary.textContent = text;
  }

  async function refresh() {
    presetButtons.forEach((b, i) => b.setAttribute("aria-pressed", String(PRESETS[i] === preset)));
    showError(errorSlot, null);
    if (!providerId) return;
    // A later refresh (another range or provider) makes this one's answer stale: it is dropped,
    // so that the numbers shown always belong to the selection shown.
    const ticket = ++sequence;
    const stale = () => ticket !== sequence;
    csvButton.disabled = true;
    root.setAttribute("aria-busy", "true");
    try {
      let answer = await api.stats(providerId, query());
      if (stale()) return;
      if (!today && preset !== null) {
        today = answer.to;
        if (answer.days !== preset) answer = await api.stats(providerId, query());
        if (stale()) return;
      }
      stats = answer;
      from.value = stats.from;
      to.value = stats.to;
      render();
    } catch (err) {
      if (stale()) return;
      clear("");
      showError(errorSlot, err);
    } finally {
      if (!stale()) {
        root.setAttribute("aria-busy", "false");
        csvButton.disabled = !stats;
      }
    }
  }

  function render() {
    const t = stats.totals;
    const noDelivery = !stats.callbacks.delivery;
    summary.textContent = `${shortDate(stats.from, true)} to ${shortDate(stats.to, true)}, ${plural(stats.days, "day", "days")}`;
    replace(cards,
      card("Total Sent", number(t.sent)),
      card("Total Delivered", number(t.delivered), noDelivery ? "Delivery callbacks are not configured." : null),
      card("Total Clicks", number(t.clicked), stats.callbacks.clicks ? null : "Click tracking is not configured for this provider."),
      card("Total Errors", number(t.errors), `${number(t.send_errors)} failed sends, ${number(t.failed)} failed deliveries`),
      card("Delivery Rate", noDelivery ? "Not measured" : `${number(stats.delivery_rate)} %`,
        noDelivery ? "Delivery callbacks are not configured for this provider, so no message is ever reported delivered." : null),
      card("Daily Avg Sent", number(stats.daily_avg_sent)),
      card("Daily Avg Delivery", number(stats.daily_avg_delivered)),
      card("CTR", `${number(stats.ctr)} %`, noDelivery
        ? "Taken over sent messages, since delivery callbacks are not configured."
        : "Clicks over delivered messages."));
    content.hidden = false;
    chart();
  }

  function chart() {
    if (!stats || content.hidden) return;
    drawChart(chartBox, stats.series, visible, Math.max(280, chartBox.clientWidth));
  }

  async function downloadCsv() {
    showError(errorSlot, null);
    try {
      const { blob, filename } = await api.statsCsv(providerId, { from: stats.from, to: stats.to });
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      showError(errorSlot, err);
    }
  }

  async function load(selectId) {
    showError(errorSlot, null);
    today = null; // learnt again, in case the day has changed since the tab was last shown
    try {
      const providers = await api.providers();
      if (selectId) providerId = selectId;
      if (!providers.some((p) => p.id === providerId)) {
        providerId = (providers.find((p) => p.default) || providers.find((p) => p.state === "active") || providers[0])?.id ?? null;
      }
      replace(provider, providers.map((p) => h("option", { value: p.id, selected: p.id === providerId },
        p.state === "archived" ? `${p.name} (archived)` : p.name)));
      if (!providerId) {
        sequence += 1; // drops an answer still on its way for a provider no longer listed
        root.setAttribute("aria-busy", "false");
        clear("No providers yet.");
        return;
      }
      await refresh();
    } catch (err) {
      showError(errorSlot, err);
    }
  }

  replace(root,
    h("div", { class: "view-head" }, h("h1", {}, "Stats"), csvButton),
    h("div", { class: "stats-controls" },
      field("Provider", provider),
      h("div", { class: "presets", role: "group", "aria-label": "Range" }, presetButtons),
      custom),
    summary, errorSlot, content);
  return { load };
}
