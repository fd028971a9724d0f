// ramp dashboard: plain JavaScript, no framework, no network but the
// controller's own API. The token lives in sessionStorage and goes out as a
// Bearer header (and as ?access_token= on the event stream, which an
// EventSource cannot send headers for). The API decides what a caller may
// do; the page only hides buttons the caller's roles would not allow.
'use strict';

const state = { token: sessionStorage.getItem('ramp.token') || '', session: null, stream: null, timer: null };
const $ = (sel) => document.querySelector(sel);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const COLORS = ['#2f5fd0', '#e07b00', '#1a7f37', '#9c27b0', '#c62828', '#00838f'];

class AuthError extends Error {}

async function api(path, options = {}) {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method: options.method || 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status === 401) {
    const msg = body && body.error ? body.error.message : 'token refused';
    throw new AuthError(msg);
  }
  if (!res.ok) {
    const err = new Error(body && body.error ? (body.error.where ? body.error.where + ': ' : '') + body.error.message : 'HTTP ' + res.status);
    err.status = res.status;
    throw err;
  }
  return body;
}

function logout(message) {
  sessionStorage.removeItem('ramp.token');
  state.token = '';
  state.session = null;
  stopLive();
  $('#nav').hidden = true;
  $('#view').innerHTML = '';
  $('#login').hidden = false;
  $('#login-message').textContent = message || '';
}

function stopLive() {
  if (state.stream) { state.stream.close(); state.stream = null; }
  if (state.timer) { clearInterval(state.timer); state.timer = null; }
}

// True when the session's roles allow `role` in `env` (same rule as
// Principal::has). Unknown session = allowed (the API still decides).
function may(role, env) {
  const s = state.session;
  if (!s || !s.roles) return true;
  const grants = (rs) => rs && (rs.includes('admin') || rs.includes(role) || (role === 'viewer' && rs.length > 0));
  if (grants(s.roles['*'])) return true;
  return grants(s.roles[env]);
}

function badge(s) { return `<span class="state ${esc(s)}">${esc(s)}</span>`; }

function weightBar(fleets) {
  const parts = fleets.filter((f) => f.weight > 0).map((f, i) =>
    `<span title="${esc(f.id)} ${esc(f.version)} ${f.weight}%" style="width:${f.weight}%;background:${f.role === 'stable' ? COLORS[0] : COLORS[1 + (i % 5)]}"></span>`);
  return `<div class="weights">${parts.join('')}</div>`;
}

const ENV_ORDER = ['int', 'uat', 'prod'];
function sortEnvs(envs) {
  return [...envs].sort((a, b) => {
    const ia = ENV_ORDER.indexOf(a), ib = ENV_ORDER.indexOf(b);
    if (ia !== ib) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.localeCompare(b);
  });
}

async function pageServices(view) {
  const rows = await api('/api/v1/status');
  const list = Array.isArray(rows) ? rows : (rows.services || []);
  const services = [...new Set(list.map((r) => r.service))].sort();
  const envs = sortEnvs(new Set(list.map((r) => r.env)));
  const cell = (svc, env) => {
    const r = list.find((x) => x.service === svc && x.env === env);
    if (!r) return '<td class="muted">—</td>';
    const d = r.deployment || {};
    const fleets = r.fleets || [];
    const live = fleets.filter((f) => f.weight > 0);
    const healthy = live.reduce((a, f) => a + (f.healthy || 0), 0), instances = live.reduce((a, f) => a + (f.instances || 0), 0);
    const debt = r.hotfix_debt || r.hotfixDebt;
    const debtText = debt && (Array.isArray(debt) ? debt.length : (debt.missing || debt.envs || debt.pending || []).length) ?
      `<div class="error">hotfix debt: ${esc(JSON.stringify(debt.missing || debt.envs || debt.pending || debt))}</div>` : '';
    return `<td data-service="${esc(svc)}" data-env="${esc(env)}">
      <div><strong>${esc(d.version)}</strong> ${badge(d.state)}</div>
      <div class="muted">${esc(d.strategy)} step ${d.step ?? 0}/${d.steps ?? 0} · health ${healthy}/${instances}</div>
      ${weightBar(fleets)}
      <div class="muted">${live.map((f) => `${esc(f.version)} ${f.weight}%`).join(' · ')}</div>
      ${debtText}
      ${d.reason ? `<div class="reason">${esc(d.reason)}</div>` : ''}
      <a href="#/deployment/${encodeURIComponent(d.id)}">${esc(d.id)}</a></td>`;
  };
  view.innerHTML = `<h1>Services × environments</h1>
    ${services.length ? `<table class="matrix" id="matrix"><thead><tr><th>service</th>${envs.map((e) => `<th>${esc(e)}</th>`).join('')}</tr></thead>
    <tbody>${services.map((s) => `<tr><th>${esc(s)}</th>${envs.map((e) => cell(s, e)).join('')}</tr>`).join('')}</tbody></table>`
      : '<p class="muted">Nothing deployed yet.</p>'}`;
}

async function pageDeployments(view) {
  const list = await api('/api/v1/deployments?limit=50');
  view.innerHTML = `<h1>Deployments</h1><table id="deployments"><thead><tr><th>id</th><th>service</th><th>env</th><th>version</th><th>strategy</th><th>state</th><th>created</th><th>reason</th></tr></thead><tbody>
    ${list.map((d) => `<tr><td><a href="#/deployment/${encodeURIComponent(d.id)}">${esc(d.id)}</a></td><td>${esc(d.service)}</td><td>${esc(d.env)}</td><td>${esc(d.version)}</td><td>${esc(d.strategy)}</td><td>${badge(d.state)}</td><td>${esc(d.created_at)}</td><td>${esc(d.reason)}</td></tr>`).join('')}
    </tbody></table>`;
}

// A line chart as inline SVG. series: [{name, color, points: [[x, y]...], step}]
function chart(title, series, { yMax, yUnit = '', width = 520, height = 180, id = '' } = {}) {
  const pad = { l: 44, r: 10, t: 20, b: 22 };
  const all = series.flatMap((s) => s.points);
  if (!all.length) return `<svg class="chart" id="${id}" width="${width}" height="60"><text x="8" y="16">${esc(title)}</text><text x="8" y="40">no data yet</text></svg>`;
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  if (x1 === x0) x1 = x0 + 1;
  const top = yMax ?? Math.max(1e-9, ...all.map((p) => p[1])) * 1.15;
  const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const Y = (y) => height - pad.b - (y / top) * (height - pad.t - pad.b);
  const paths = series.map((s) => {
    let d = '';
    s.points.forEach((p, i) => {
      if (i === 0) d += `M${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`;
      else if (s.step) d += `H${X(p[0]).toFixed(1)}V${Y(p[1]).toFixed(1)}`;
      else d += `L${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`;
    });
    if (s.step && s.points.length) d += `H${X(x1).toFixed(1)}`;
    const dots = s.points.map((p) => `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(s.name)}: ${p[1]}${yUnit}</title></circle>`).join('');
    return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>${dots}`;
  }).join('');
  const legend = series.map((s, i) => `<text x="${pad.l + 8 + i * 150}" y="13" style="fill:${s.color}">■ ${esc(s.name)}</text>`).join('');
  const fmt = (v) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toPrecision(2));
  return `<svg class="chart" id="${id}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
    <text x="${width - pad.r}" y="13" text-anchor="end">${esc(title)}</text>${legend}
    <line x1="${pad.l}" y1="${Y(0)}" x2="${width - pad.r}" y2="${Y(0)}" stroke="#d9dee7"/>
    <line x1="${pad.l}" y1="${Y(top)}" x2="${pad.l}" y2="${Y(0)}" stroke="#d9dee7"/>
    <text x="${pad.l - 4}" y="${Y(top) + 4}" text-anchor="end">${fmt(top)}${yUnit}</text>
    <text x="${pad.l - 4}" y="${Y(0)}" text-anchor="end">0</text>
    <text x="${pad.l}" y="${height - 6}">${new Date(x0).toLocaleTimeString()}</text>
    <text x="${width - pad.r}" y="${height - 6}" text-anchor="end">${new Date(x1).toLocaleTimeString()}</text>
    ${paths}</svg>`;
}

function eventTime(e) { return e.time_ms || Date.parse(e.time); }

function verdictMetric(v, kind) { return (v.metrics || []).find((m) => m.kind === kind || (m.stats && m.stats.canary && (kind === 'error_rate' ? 'rate' in m.stats.canary : 'median_ms' in m.stats.canary))); }

function renderDeployment(view, d, events) {
  const names = d.step_names || [];
  const steps = names.map((n, i) => `<span class="${i + 1 < d.step ? 'done' : i + 1 === d.step ? 'current' : ''}">${i + 1}. ${esc(n)}</span>`).join('');
  // Weights over time, one line per fleet, from traffic.set events.
  const fleets = {};
  for (const e of events.filter((x) => x.kind === 'traffic.set')) {
    const w = (e.data && e.data.weights) || {};
    for (const f of Object.keys(fleets)) if (!(f in w)) fleets[f].push([eventTime(e), 0]);
    for (const [f, v] of Object.entries(w)) (fleets[f] = fleets[f] || []).push([eventTime(e), v]);
  }
  const weightSeries = Object.entries(fleets).map(([f, pts], i) => ({ name: f, color: COLORS[i % COLORS.length], points: pts, step: true }));
  const verdicts = events.filter((x) => x.kind === 'verdict');
  const errSeries = [{ name: 'canary', color: COLORS[1], points: [] }, { name: 'baseline', color: COLORS[0], points: [] }];
  const latSeries = [{ name: 'canary median', color: COLORS[1], points: [] }, { name: 'baseline median', color: COLORS[0], points: [] }];
  for (const v of verdicts) {
    const t = eventTime(v);
    const er = verdictMetric(v.data || {}, 'error_rate');
    if (er && er.stats && er.stats.canary && er.stats.baseline) {
      errSeries[0].points.push([t, +(100 * (er.stats.canary.rate || 0)).toFixed(3)]);
      errSeries[1].points.push([t, +(100 * (er.stats.baseline.rate || 0)).toFixed(3)]);
    }
    const lt = verdictMetric(v.data || {}, 'latency');
    if (lt && lt.stats && lt.stats.canary && lt.stats.baseline && lt.stats.canary.median_ms != null) {
      latSeries[0].points.push([t, lt.stats.canary.median_ms]);
      latSeries[1].points.push([t, lt.stats.baseline.median_ms ?? 0]);
    }
  }
  const verdictHtml = verdicts.map((v) => {
    const data = v.data || {};
    const metrics = (data.metrics || []).map((m) => `<div><code>${esc(m.name)}</code> ${esc(m.classification)} — ${esc(m.reason)}</div>`).join('');
    return `<div class="verdict ${esc(data.verdict)}"><strong>${esc(data.verdict)}</strong> score ${esc(data.score)} at step ${esc(data.step)} · ${esc(v.time)}<div>${esc(data.reason)}</div>${metrics}</div>`;
  }).join('');
  const timeline = events.slice().reverse().map((e) => `<li><span class="muted">${esc(e.time)}</span> <span class="kind">${esc(e.kind)}</span> ${esc(e.actor)}
     ${e.data && e.data.phase ? 'phase ' + esc(e.data.phase) : ''} ${e.data && e.data.state ? badge(e.data.state) : ''} ${e.data && e.data.reason ? '<span class="reason">' + esc(e.data.reason) + '</span>' : ''}</li>`).join('');
  view.innerHTML = `<h1>Deployment <code>${esc(d.id)}</code> <span class="live" id="live"></span></h1>
    <div class="card" id="summary">
      <div>${esc(d.service)} <strong>${esc(d.version)}</strong> → ${esc(d.env)} · ${esc(d.strategy)} ${esc(d.kind && d.kind !== 'deploy' ? '(' + d.kind + ')' : '')} · by ${esc(d.created_by)}</div>
      <div>state <span id="dep-state">${badge(d.state)}</span> phase <code id="dep-phase">${esc(d.phase)}</code> step <span id="dep-step">${d.step}/${d.steps}</span></div>
      ${d.reason ? `<div class="reason" id="dep-reason">${esc(d.reason)}</div>` : ''}
      <div class="steps" id="steps">${steps}</div>
    </div>
    <div class="charts">
      ${chart('traffic weight (%) per fleet', weightSeries, { yMax: 100, yUnit: '%', id: 'chart-weights' })}
      ${chart('error rate (%) canary vs baseline', errSeries, { yUnit: '%', id: 'chart-errors' })}
      ${chart('latency median (ms) canary vs baseline', latSeries, { yUnit: 'ms', id: 'chart-latency' })}
    </div>
    <h2>Verdicts</h2><div id="verdicts">${verdictHtml || '<p class="muted">No verdict yet.</p>'}</div>
    <h2>Events</h2><ul class="timeline" id="timeline">${timeline}</ul>`;
}

async function pageDeployment(view, id) {
  let d = await api('/api/v1/deployments/' + encodeURIComponent(id));
  const events = await api('/api/v1/events?deployment=' + encodeURIComponent(id));
  renderDeployment(view, d, events);
  let last = events.reduce((a, e) => Math.max(a, e.seq), 0);
  let pending = null;
  const refresh = () => {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      try {
        d = await api('/api/v1/deployments/' + encodeURIComponent(id));
        const scroll = window.scrollY;
        renderDeployment(view, d, events);
        window.scrollTo(0, scroll);
        $('#live').textContent = state.stream ? '● live' : '';
      } catch (e) { handleError(e); }
    }, 150);
  };
  const src = new EventSource(`/api/v1/events/stream?deployment=${encodeURIComponent(id)}&after=${last}&access_token=${encodeURIComponent(state.token)}`);
  state.stream = src;
  const onEvent = (msg) => {
    try {
      const e = JSON.parse(msg.data);
      if (e.seq <= last) return;
      last = e.seq;
      events.push(e);
      refresh();
    } catch (err) { /* a keep-alive or a partial line */ }
  };
  src.onmessage = onEvent;
  for (const k of ['deployment.created', 'deployment.phase', 'deployment.finished', 'deployment.control', 'deployment.rollback', 'traffic.set', 'verdict',
    'deployment.approved', 'deployment.rejected', 'deployment.awaiting_approval']) src.addEventListener(k, onEvent);
  src.onopen = () => { $('#live') && ($('#live').textContent = '● live'); };
  src.onerror = () => { $('#live') && ($('#live').textContent = 'reconnecting…'); };
  // Kinds not listed above still arrive with the next poll.
  state.timer = setInterval(async () => {
    try {
      const more = await api(`/api/v1/events?deployment=${encodeURIComponent(id)}&after=${last}`);
      for (const e of more) if (e.seq > last) { last = e.seq; events.push(e); }
      if (more.length) refresh();
    } catch (e) { handleError(e); }
  }, 5000);
}

function approvalOf(a) { return a.approval || a; }

async function pageApprovals(view) {
  let list;
  try {
    list = await api('/api/v1/approvals');
  } catch (e) {
    if (e.status === 404) { view.innerHTML = '<h1>Approvals</h1><p class="muted">This controller has no approvals API.</p>'; return; }
    throw e;
  }
  list = Array.isArray(list) ? list : (list.approvals || []);
  const me = state.session && state.session.user;
  const rows = list.map((a) => {
    const ap = approvalOf(a);
    const id = a.id || (a.deployment && a.deployment.id) || a.deployment_id;
    const env = a.env || (a.deployment && a.deployment.env);
    // The API says whether this caller may approve (roles, four-eyes); else guess from the roles.
    const allowed = a.may_approve !== undefined ? !!a.may_approve : may('approver', env) && ap.requester !== me;
    const why = allowed ? '' : ap.requester === me ? 'you requested it' : `needs one of the roles ${(ap.roles || ['approver']).join(', ')} in ${env}`;
    const given = (ap.approvals || []).map((x) => esc(x.by)).join(', ');
    return `<tr data-id="${esc(id)}"><td><a href="#/deployment/${encodeURIComponent(id)}">${esc(id)}</a></td><td>${esc(a.service)}</td><td>${esc(env)}</td><td>${esc(a.version)}</td>
      <td>${esc(ap.requester)}</td><td>${(ap.approvals || []).length}/${esc(ap.required)} ${given ? '(' + given + ')' : ''}</td>
      <td><input type="text" class="comment" placeholder="comment" style="min-width:140px">
      <button class="primary approve" ${allowed ? '' : 'disabled'} title="${esc(why)}">Approve</button>
      <button class="danger reject" ${allowed ? '' : 'disabled'} title="${esc(why)}">Reject</button> <span class="muted">${esc(why)}</span></td></tr>`;
  }).join('');
  view.innerHTML = `<h1>Pending approvals</h1><p id="approval-message" role="status"></p>${list.length ? `<table id="approvals"><thead><tr><th>deployment</th><th>service</th><th>env</th><th>version</th><th>requested by</th><th>approvals</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted" id="no-approvals">Nothing waits for an approval.</p>'}`;
  view.querySelectorAll('button.approve, button.reject').forEach((b) => b.addEventListener('click', async () => {
    const tr = b.closest('tr');
    const id = tr.dataset.id;
    const verb = b.classList.contains('approve') ? 'approve' : 'reject';
    const comment = tr.querySelector('.comment').value;
    try {
      await api(`/api/v1/approvals/${encodeURIComponent(id)}/${verb}`, { method: 'POST', body: comment ? { comment } : {} });
      await pageApprovals(view);
      $('#approval-message').textContent = `${verb === 'approve' ? 'Approved' : 'Rejected'} ${id}.`;
    } catch (e) {
      if (e instanceof AuthError) throw e;
      $('#approval-message').innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
  }));
}

async function pageAudit(view) {
  const [events, verify] = await Promise.all([api('/api/v1/audit?limit=200'), api('/api/v1/audit/verify').catch((e) => ({ ok: false, problem: e.message }))]);
  const ok = verify.ok;
  view.innerHTML = `<h1>Audit trail</h1>
    <div class="card" id="audit-verify">${ok ? `<span class="state ok">verified</span> ${esc(verify.count)} events, chain intact${verify.sealed_at ? ', sealed at ' + esc(verify.sealed_at) : ''}, head <code>${esc(String(verify.head || '').slice(0, 16))}</code>`
      : `<span class="state broken">NOT verified</span> ${esc(verify.problem)}${verify.first_broken_seq ? ' (first broken event ' + esc(verify.first_broken_seq) + ')' : ''}`}</div>
    <table id="audit"><thead><tr><th>seq</th><th>time</th><th>actor</th><th>kind</th><th>service</th><th>env</th><th>deployment</th><th>data</th></tr></thead><tbody>
    ${events.slice().reverse().map((e) => `<tr><td>${e.seq}</td><td>${esc(e.time)}</td><td>${esc(e.actor)}</td><td>${esc(e.kind)}</td><td>${esc(e.service)}</td><td>${esc(e.env)}</td>
      <td>${e.deployment ? `<a href="#/deployment/${encodeURIComponent(e.deployment)}">${esc(e.deployment)}</a>` : ''}</td><td><code>${esc(JSON.stringify(e.data)).slice(0, 160)}</code></td></tr>`).join('')}
    </tbody></table>`;
}

function dur(s) {
  if (s == null) return '—';
  if (s < 120) return s.toFixed(0) + ' s';
  if (s < 7200) return (s / 60).toFixed(1) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' d';
}

async function pageStats(view) {
  const s = await api('/api/v1/stats?since=30d');
  view.innerHTML = `<h1>Delivery (DORA, last 30 days)</h1>
    <table id="stats"><thead><tr><th>service</th><th>env</th><th>deployments / week</th><th>lead time median (p90)</th><th>change failure rate</th><th>time to restore (median)</th></tr></thead><tbody>
    ${s.services.map((r) => `<tr><td>${esc(r.service)}</td><td>${esc(r.env)}</td><td>${r.deployment_frequency.per_week.toFixed(1)} (${r.deployment_frequency.succeeded} succeeded)</td>
      <td>${dur(r.lead_time.median_seconds)} (${dur(r.lead_time.p90_seconds)})</td>
      <td>${r.change_failure_rate.rate == null ? '—' : (100 * r.change_failure_rate.rate).toFixed(0) + '%'} (${r.change_failure_rate.failed}/${r.change_failure_rate.finished})</td>
      <td>${dur(r.time_to_restore.median_seconds)}${r.time_to_restore.unrestored ? ` (${r.time_to_restore.unrestored} not restored)` : ''}</td></tr>`).join('')}
    </tbody></table>`;
}

function handleError(e) {
  if (e instanceof AuthError) { logout('Your token was refused (' + e.message + '). Log in again.'); return; }
  const view = $('#view');
  if (view) view.insertAdjacentHTML('afterbegin', `<p class="error">${esc(e.message)}</p>`);
}

async function route() {
  stopLive();
  if (!state.token) { logout(''); return; }
  $('#login').hidden = true;
  $('#nav').hidden = false;
  const hash = location.hash || '#/';
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === hash));
  const view = $('#view');
  try {
    if (!state.session) state.session = await api('/api/v1/dashboard/session');
    let m;
    if ((m = hash.match(/^#\/deployment\/(.+)$/))) await pageDeployment(view, decodeURIComponent(m[1]));
    else if (hash === '#/deployments') await pageDeployments(view);
    else if (hash === '#/approvals') await pageApprovals(view);
    else if (hash === '#/audit') await pageAudit(view);
    else if (hash === '#/stats') await pageStats(view);
    else {
      await pageServices(view);
      state.timer = setInterval(() => pageServices(view).catch(handleError), 3000);
    }
  } catch (e) { handleError(e); }
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  state.token = $('#token').value.trim();
  $('#token').value = '';
  if (!state.token) { logout('Paste a token first.'); return; }
  try {
    state.session = await api('/api/v1/dashboard/session');
    sessionStorage.setItem('ramp.token', state.token);
    route();
  } catch (e) {
    logout(e instanceof AuthError ? 'Token refused: ' + e.message : e.message);
  }
});
$('#logout').addEventListener('click', () => logout('Logged out.'));
window.addEventListener('hashchange', route);
route();
