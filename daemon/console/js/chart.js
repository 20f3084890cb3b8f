// A small SVG line chart of the daily series: one line per visible series, a y axis with round
// ticks, date labels that never crowd, and a tooltip that follows the pointer or the arrow keys.

import { h, s, replace } from "./dom.js";

/** The series the chart can draw, in legend order. Colours keep 4.5:1 contrast on white. */
export const SERIES = [
  { key: "sent", label: "Sent", color: "#1d4ed8" },
  { key: "delivered", label: "Delivered", color: "#15803d" },
  { key: "errors", label: "Errors", color: "#b91c1c" },
  { key: "clicked", label: "Clicks", color: "#7e22ce" },
];

const HEIGHT = 260;
const MARGIN = { top: 12, right: 16, bottom: 30, left: 48 };

/** "2026-11-27" as "27 Nov" (the date is a calendar day, so no time zone applies). */
export function shortDate(day, withYear) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, {
    day: "numeric", month: "short", year: withYear ? "numeric" : undefined, timeZone: "UTC",
  });
}

function niceStep(max) {
  const raw = Math.max(max, 1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((v) => v >= raw);
  return Math.max(1, step);
}

/**
 * Draws `points` (the stats `series`) into `root`, for the series whose keys are in `visible`.
 * `width` is the drawing width in pixels.
 */
export function drawChart(root, points, visible, width) {
  const shown = SERIES.filter((sr) => visible.has(sr.key));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(0, ...points.flatMap((p) => shown.map((sr) => p[sr.key])));
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const n = points.length;
  const x = (i) => MARGIN.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v) => MARGIN.top + plotH - (v / top) * plotH;

  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(s("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v), y2: y(v) }));
    grid.push(s("text", { class: "tick", x: MARGIN.left - 8, y: y(v) + 4, "text-anchor": "end" }, v.toLocaleString()));
  }
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 72))));
  // The last day's label is right-aligned so it never runs off the edge.
  const labels = points.map((p, i) => (i % every === 0
    ? s("text", {
      class: "tick", x: x(i), y: HEIGHT - 8,
      "text-anchor": n > 1 && i === n - 1 ? "end" : "middle",
    }, shortDate(p.date))
    : null));
  const lines = shown.map((sr) => s("path", {
    class: "line", "data-series": sr.key, stroke: sr.color, fill: "none",
    d: points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[sr.key]).toFixed(1)}`).join(""),
  }));
  const guide = s("line", { class: "guide", y1: MARGIN.top, y2: MARGIN.top + plotH, visibility: "hidden" });
  const dots = shown.map((sr) => s("circle", { r: 4, fill: sr.color, visibility: "hidden" }));
  const svg = s("svg", {
    width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, tabindex: 0, role: "img",
    "aria-label": `Daily ${shown.map((sr) => sr.label.toLowerCase()).join(", ") || "nothing"} from ${points[0].date} to ${points[n - 1].date}. Use the arrow keys to read each day.`,
  }, grid, labels, lines, guide, dots);
  const tip = h("div", { class: "tooltip", role: "status", hidden: true });

  let at = -1;
  function show(i) {
    at = Math.max(0, Math.min(n - 1, i));
    const p = points[at];
    guide.setAttribute("x1", x(at));
    guide.setAttribute("x2", x(at));
    guide.setAttribute("visibility", "visible");
    shown.forEach((sr, k) => {
      dots[k].setAttribute("cx", x(at));
      dots[k].setAttribute("cy", y(p[sr.key]));
      dots[k].setAttribute("visibility", "visible");
    });
    replace(tip, h("strong", {}, shortDate(p.date, true)),
      shown.map((sr) => h("div", { class: "tip-row" },
        h("span", { class: `swatch swatch-${sr.key}`, "aria-hidden": "true" }), `${sr.label}: ${p[sr.key]}`)));
    tip.hidden = false;
    // Beside the guide line, on the side with more room.
    const left = x(at) > width / 2 ? x(at) - tip.offsetWidth - 12 : x(at) + 12;
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${MARGIN.top}px`;
  }
  function hide() {
    guide.setAttribute("visibility", "hidden");
    dots.forEach((d) => d.setAttribute("visibility", "hidden"));
    tip.hidden = true;
  }
  svg.addEventListener("pointermove", (event) => {
    const box = svg.getBoundingClientRect();
    const px = event.clientX - box.left;
    show(n === 1 ? 0 : Math.round(((px - MARGIN.left) / plotW) * (n - 1)));
  });
  svg.addEventListener("pointerleave", hide);
  svg.addEventListener("blur", hide);
  svg.addEventListener("focus", () => show(at < 0 ? n - 1 : at));
  svg.addEventListener("keydown", (event) => {
    const move = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: n - 1 }[event.key];
    if (move !== undefined) {
      event.preventDefault();
      show(move);
    } else if (event.key === "Escape") {
      hide();
    }
  });
  replace(root, svg, tip);
}
