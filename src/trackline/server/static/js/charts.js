// Chart.js wrappers: step series of metrics and sampled resources, bars, scatter. Charts are
// destroyed on navigation (see app.js) so canvases are never reused by two charts. Chart.js is
// loaded by the router for the routes that draw charts.
const live = [];
const PALETTE = ["#2f5bd3", "#d35f2f", "#1f8a4c", "#8e44ad", "#b7791f", "#16a085", "#c0392b", "#34495e"];

export const color = (i) => PALETTE[i % PALETTE.length];

export function destroyCharts() {
  while (live.length) live.pop().destroy();
}

export function dropChart(chart) {
  const i = live.indexOf(chart);
  if (i >= 0) live.splice(i, 1);
  chart.destroy();
}

function make(canvas, config) {
  const chart = new window.Chart(canvas, config);
  live.push(chart);
  return chart;
}

// Exponential moving average (as TensorBoard's smoothing slider): weight 0 is the raw series.
export function smooth(points, weight) {
  if (!weight) return points;
  let last = null;
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return p;
    last = last === null ? p.y : last * weight + p.y * (1 - weight);
    return { x: p.x, y: last };
  });
}

// One value per run: bars. bars: [{label, value}]
export function barChart(canvas, bars, { yLabel = "", log = false } = {}) {
  return make(canvas, {
    type: "bar",
    data: { labels: bars.map((b) => b.label),
      datasets: [{ label: yLabel, data: bars.map((b) => b.value), backgroundColor: bars.map((_, i) => color(i)) }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { type: log ? "logarithmic" : "linear", title: { display: !!yLabel, text: yLabel } } },
      plugins: { legend: { display: false } } },
  });
}

// points: [{x, y, label}] — one point per run (a sweep: a param against a metric).
export function scatterChart(canvas, points, { xLabel = "", yLabel = "" } = {}) {
  return make(canvas, {
    type: "scatter",
    data: { datasets: [{ label: `${yLabel} by ${xLabel}`, data: points, backgroundColor: color(0), pointRadius: 4 }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
      scales: { x: { type: "linear", title: { display: true, text: xLabel } },
        y: { title: { display: true, text: yLabel } } },
      plugins: { legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => `${ctx.raw.label}: ${ctx.raw.x}, ${ctx.raw.y}` } } } },
  });
}

// series: [{label, points: [{x, y}]}]
export function lineChart(canvas, series, { xLabel = "step", yLabel = "", log = false } = {}) {
  return make(canvas, {
    type: "line",
    data: {
      datasets: series.map((s, i) => ({
        label: s.label, data: s.points, borderColor: color(i), backgroundColor: color(i),
        pointRadius: s.points.length > 60 ? 0 : 2, tension: 0.1, yAxisID: s.axis || "y",
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
      scales: {
        x: { type: "linear", title: { display: true, text: xLabel } },
        y: { type: log ? "logarithmic" : "linear", title: { display: !!yLabel, text: yLabel } },
        ...(series.some((s) => s.axis === "y2") ? { y2: { position: "right", grid: { drawOnChartArea: false },
          title: { display: true, text: series.find((s) => s.axis === "y2").label } } } : {}),
      },
      plugins: { legend: { display: true } },
    },
  });
}

// Metrics of one run grouped by key, x = step (or order of logging when no step).
export function metricSeries(metrics) {
  const byKey = new Map();
  for (const m of metrics) {
    if (!byKey.has(m.key)) byKey.set(m.key, []);
    byKey.get(m.key).push(m);
  }
  const out = new Map();
  for (const [key, ms] of byKey) {
    ms.sort((a, b) => (a.step ?? 0) - (b.step ?? 0) || a.timestamp.localeCompare(b.timestamp));
    out.set(key, ms.map((m, i) => ({ x: m.step ?? i, y: typeof m.value === "number" ? m.value : NaN })));
  }
  return out;
}
