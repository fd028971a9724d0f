// charts.js — time-series line charts as SVG markup, for the dashboard.
//
// No inline styles (the dashboard runs under a strict Content-Security-
// Policy): colours and dashes are SVG presentation attributes, everything
// else is in style.css. Pure: markup in, markup out.
//
// lineChart({title, series, unit, yMin, yMaxAtLeast, marks, x0, x1, id})
//   series: [{name, color, dashed, points: [[tMs, value|null], ...], step}]
//           null values break the line (no data in that interval)
//   unit:   '%', 'ms', '/s' ... appended to tick labels
//   yMaxAtLeast: the y-axis spans at least 0..this (an all-zero error rate
//           reads "0%…1%", never "1.1e-9%")
//   marks:  [{t, label, kind: 'step'|'pass'|'fail'|'inconclusive'|'event'}]:
//           vertical lines (steps) and markers (verdicts) at time t
//   x0, x1: the time span (defaults to the data's, at least 30 s)

export const COLORS = ['#2f5fd0', '#e07b00', '#1a7f37', '#9c27b0', '#c62828', '#00838f', '#6d4c41'];

const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// A "nice" upper bound and tick step for 0..max (1, 2, 2.5, 5 × 10^k).
export function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / ticks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  return { top: step * Math.ceil(max / step - 1e-9), step };
}

export function formatValue(v, unit = '') {
  if (v == null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  let s;
  if (a === 0) s = '0';
  else if (a >= 1e6) s = v.toPrecision(2);  // a likelihood ratio of 5.7e+45, not 22 digits
  else if (a >= 100) s = v.toFixed(0);
  else if (a >= 10) s = v.toFixed(1).replace(/\.0$/, '');
  else if (a >= 1) s = v.toFixed(2).replace(/\.?0+$/, '');
  else if (a >= 0.01) s = v.toFixed(3).replace(/\.?0+$/, '');
  else s = v.toPrecision(2);
  return s + unit;
}

function timeLabel(ms, withSeconds = true) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}${withSeconds ? ':' + p(d.getSeconds()) : ''}`;
}

// Time ticks at round intervals (5 s … 1 h) across [x0, x1].
function timeTicks(x0, x1, max = 6) {
  const span = x1 - x0;
  const steps = [5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3];
  const step = steps.find((s) => span / s <= max) || 3600e3;
  const out = [];
  for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) out.push(t);
  return out;
}

export function lineChart({ title, series, unit = '', yMaxAtLeast = 0, marks = [], x0, x1, id = '', width = 560, height = 200 }) {
  const pad = { l: 52, r: 12, t: 34, b: 24 };
  const pts = series.flatMap((s) => s.points.filter((p) => p[1] != null && Number.isFinite(p[1])));
  const legend = series.map((s, i) => {
    const x = pad.l + i * 132;
    return `<g class="legend"><line x1="${x}" y1="24" x2="${x + 14}" y2="24" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>` +
      `<text x="${x + 18}" y="28">${esc(s.name)}</text></g>`;
  }).join('');
  const head = `<text class="chart-title" x="${pad.l}" y="12">${esc(title)}</text>`;
  if (!pts.length) {
    return `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${width} 70" width="${width}" height="70" role="img" aria-label="${esc(title)}">${head}` +
      `<text class="empty" x="${pad.l}" y="48">waiting for the first samples…</text></svg>`;
  }
  const times = series.flatMap((s) => s.points.map((p) => p[0]));
  let lo = x0 ?? Math.min(...times), hi = x1 ?? Math.max(...times);
  if (hi - lo < 30e3) hi = lo + 30e3;
  const vmax = Math.max(yMaxAtLeast, ...pts.map((p) => p[1]));
  const { top, step } = niceScale(vmax);
  const X = (t) => pad.l + ((t - lo) / (hi - lo)) * (width - pad.l - pad.r);
  const Y = (v) => height - pad.b - (v / top) * (height - pad.t - pad.b);
  let grid = '';
  for (let v = 0; v <= top + step / 2; v += step) {
    grid += `<line class="grid" x1="${pad.l}" y1="${Y(v).toFixed(1)}" x2="${width - pad.r}" y2="${Y(v).toFixed(1)}"/>` +
      `<text class="tick" x="${pad.l - 6}" y="${(Y(v) + 3).toFixed(1)}" text-anchor="end">${esc(formatValue(v, unit))}</text>`;
  }
  for (const t of timeTicks(lo, hi)) {
    grid += `<text class="tick" x="${X(t).toFixed(1)}" y="${height - 6}" text-anchor="middle">${timeLabel(t)}</text>`;
  }
  let markup = '';
  let lastLabelX = -Infinity;
  for (const m of marks) {
    if (m.t < lo || m.t > hi) continue;
    const x = X(m.t).toFixed(1);
    if (m.kind === 'step') {
      // Labels closer than 40 px would overlap: the line and its tooltip stay.
      const label = +x - lastLabelX >= 40 ? `<text x="${(+x + 3).toFixed(1)}" y="${pad.t + 6}">${esc(m.label)}</text>` : '';
      if (label) lastLabelX = +x;
      markup += `<g class="mark step"><line x1="${x}" y1="${pad.t - 4}" x2="${x}" y2="${height - pad.b}"/>` +
        `${label}<title>${esc(m.title || m.label)}</title></g>`;
    } else {
      const cls = esc(m.kind);
      const y = pad.t - 2;
      const shape = m.kind === 'fail' ? `<path d="M${+x - 4},${y - 4}L${+x + 4},${y + 4}M${+x + 4},${y - 4}L${+x - 4},${y + 4}"/>`
        : `<circle cx="${x}" cy="${y}" r="4"/>`;
      markup += `<g class="mark verdict ${cls}"><line x1="${x}" y1="${y}" x2="${x}" y2="${height - pad.b}"/>${shape}<title>${esc(m.title || m.label)}</title></g>`;
    }
  }
  const lines = series.map((s) => {
    let d = '';
    let pen = false;
    let prev = null;
    for (const [t, v] of s.points) {
      if (v == null || !Number.isFinite(v)) { pen = false; continue; }
      const x = X(t).toFixed(1), y = Y(v).toFixed(1);
      if (!pen) d += `M${x},${y}`;
      else if (s.step) d += `H${x}V${y}`;
      else d += `L${x},${y}`;
      pen = true;
      prev = [t, v];
    }
    if (s.step && prev) d += `H${X(hi).toFixed(1)}`;
    const last = prev ? `<circle class="last" cx="${X(prev[0]).toFixed(1)}" cy="${Y(prev[1]).toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(s.name)}: ${esc(formatValue(prev[1], unit))} at ${timeLabel(prev[0])}</title></circle>` : '';
    return d ? `<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}><title>${esc(s.name)}</title></path>${last}` : '';
  }).join('');
  return `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">` +
    `${head}${legend}<g class="axes">${grid}<line class="axis" x1="${pad.l}" y1="${Y(0)}" x2="${width - pad.r}" y2="${Y(0)}"/></g>${markup}${lines}</svg>`;
}

// A horizontal stacked bar of weights: [{label, weight, color}] (0..100).
export function weightBar(parts, { width = 220, height = 12 } = {}) {
  let x = 0;
  const rects = parts.filter((p) => p.weight > 0).map((p) => {
    const w = (p.weight / 100) * width;
    const r = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="${height}" fill="${p.color}"><title>${esc(p.label)} ${p.weight}%</title></rect>`;
    x += w;
    return r;
  }).join('');
  return `<svg class="weights" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="traffic weights"><rect class="track" x="0" y="0" width="${width}" height="${height}"/>${rects}</svg>`;
}

// Evidence toward a threshold as a bar: value / threshold, clipped at 1.
export function evidenceBar(value, threshold, { width = 160, height = 8, kind = 'fail' } = {}) {
  const f = threshold > 0 && Number.isFinite(value) ? Math.max(0, Math.min(1, value / threshold)) : 0;
  return `<svg class="evidence ${kind}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${Math.round(100 * f)}% of the threshold">` +
    `<rect class="track" x="0" y="0" width="${width}" height="${height}"/><rect class="fill" x="0" y="0" width="${(f * width).toFixed(1)}" height="${height}"/></svg>`;
}
