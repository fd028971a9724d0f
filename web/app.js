// ramp dashboard: plain JavaScript modules, no framework, no network but the
// controller's own API, no inline script or style (it runs under a strict
// Content-Security-Policy). The token lives in sessionStorage and goes out as
// a Bearer header (and as ?access_token= on event streams, which an
// EventSource cannot send headers for). The API decides what a caller may
// do; the page shows exactly the actions the API lists for the caller
// (GET /api/v1/deployments/{id}/actions), each behind a confirmation that
// records the person's reason.
import { COLORS, evidenceBar, formatValue, lineChart, weightBar } from './charts.js';

const state = { token: sessionStorage.getItem('ramp.token') || '', session: null, streams: [], timers: [], gen: 0 };
const $ = (sel, root = document) => root.querySelector(sel);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const TERMINAL = new Set(['succeeded', 'failed', 'rolled_back', 'aborted']);

class AuthError extends Error {}

async function api(path, options = {}) {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method: options.method || 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status === 401) throw new AuthError(body && body.error ? body.error.message : 'token refused');
  if (!res.ok) {
    const err = new Error(body && body.error ? (body.error.where ? body.error.where + ': ' : '') + body.error.message : 'HTTP ' + res.status);
    err.status = res.status;
    throw err;
  }
  return body;
}

function stream(path, handlers) {
  const sep = path.includes('?') ? '&' : '?';
  const src = new EventSource(`${path}${sep}access_token=${encodeURIComponent(state.token)}`);
  for (const [kind, fn] of Object.entries(handlers)) {
    if (kind === 'open') src.onopen = fn;
    else if (kind === 'error') src.onerror = fn;
    else src.addEventListener(kind, fn);
  }
  state.streams.push(src);
  return src;
}

function every(ms, fn) { state.timers.push(setInterval(fn, ms)); }

// True when a later navigation started after the one that made this page
// element: a page checks it after every await before it renders or starts
// anything live.
function stale(view) { return view.dataset.gen !== String(state.gen); }

// The error handler of a page's own timers and streams: an answer that
// comes back after the user moved on or logged out (a request sent with the
// old token, or none) is the old page's and is dropped; it must not log out
// the user who logged in since (seen in dashboard_browser_test: a
// deployment page's refresh, due 150 ms after an event, fired after the
// logout and its 401 undid the next login).
function pageError(view) { return (e) => { if (!stale(view)) handleError(e); }; }

function stopLive() {
  for (const s of state.streams) s.close();
  for (const t of state.timers) clearInterval(t);
  state.streams = [];
  state.timers = [];
}

function logout(message) {
  sessionStorage.removeItem('ramp.token');
  state.token = '';
  state.session = null;
  state.gen++;  // a page still loading for the last user draws nothing
  stopLive();
  $('#nav').hidden = true;
  $('#who').textContent = '';
  $('#view').innerHTML = '';
  $('#login').hidden = false;
  $('#login-message').textContent = message || '';
  $('#token').focus();
}

// ---------------------------------------------------------------- words

function labelOf(d) { return (d && d.progress && d.progress.label) || (d && d.state) || ''; }
function badge(label) { return `<span class="state ${esc(label)}">${esc(String(label).replace(/_/g, ' '))}</span>`; }

function ago(iso) {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, (Date.now() - t) / 1000);
  if (s < 60) return `${Math.floor(s)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
function duration(ms) {
  if (ms == null) return '—';
  const s = ms / 1000;
  if (s < 10) return s.toFixed(1) + 's';
  if (s < 120) return Math.round(s) + 's';
  if (s < 7200) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return (s / 3600).toFixed(1) + 'h';
}
function localTime(iso) {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const d = new Date(t);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
function short(digest) { return digest ? String(digest).slice(0, 19) : ''; }
function stepText(d) {
  const p = d.progress || {};
  const steps = p.steps ?? d.steps ?? 0;
  if (!steps) return '';
  return `step ${p.step ?? Math.min(d.step || 0, steps)}/${steps}${p.step_name ? ' ' + p.step_name : ''}`;
}
function activityText(d) {
  const p = d.progress || {};
  let t = p.activity || '';
  if (p.next_look_in_ms != null) t += ` · look ${p.judge_looks ?? 0}, next in ${duration(p.next_look_in_ms)}`;
  return t;
}
function roleColor(role, i) {
  if (role === 'stable' || role === 'previous') return COLORS[0];
  if (role === 'canary' || role === 'new' || role === 'green') return COLORS[1];
  if (role === 'baseline') return COLORS[5];
  return COLORS[(i + 2) % COLORS.length];
}
function rolesText(session) {
  const parts = [];
  for (const [env, roles] of Object.entries((session && session.roles) || {})) {
    for (const r of roles) parts.push(env === '*' ? r : `${r}@${env}`);
  }
  return parts.join(', ');
}

// One readable sentence per audit event (the data stays one click away).
function eventSentence(e) {
  const d = e.data || {};
  const who = e.actor || d.by || '';
  switch (e.kind) {
    case 'deployment.created': return `${who} created it (${d.strategy || ''}${d.hotfix ? ', hotfix: ' + (d.hotfix_reason || '') : ''})`;
    case 'deployment.phase': return `→ ${d.phase || ''}${d.step ? ` · step ${d.step}` : ''}${d.weight != null ? ` · weight ${d.weight}%` : ''}${d.verdict ? ` · verdict ${d.verdict}` : ''}`;
    case 'deployment.control': return `${d.by || who} chose ${d.action || ''}${d.comment ? ': “' + d.comment + '”' : ''}`;
    case 'deployment.rollback': return `${d.by || who} asked for a rollback${d.comment ? ': “' + d.comment + '”' : ''}`;
    case 'deployment.finished': return `ended ${String(d.state || '').replace(/_/g, ' ')}${d.reason ? ': ' + d.reason : ''}`;
    case 'deployment.approved': return `${d.by || who} approved (${d.approvals ?? ''} of ${d.required ?? ''})${d.comment ? ': “' + d.comment + '”' : ''}`;
    case 'deployment.rejected': return `${d.by || who} rejected${d.comment ? ': “' + d.comment + '”' : ''}`;
    case 'deployment.awaiting_approval': return `awaits ${d.required ?? ''} approval(s) (${(d.roles || []).join(', ')})`;
    case 'traffic.set': return 'traffic ' + Object.entries(d.weights || {}).map(([f, w]) => `${f} ${w}%`).join(' · ');
    case 'verdict': return `judge: ${d.verdict || ''}${d.score != null ? ` (score ${d.score})` : ''} — ${d.reason || ''}`;
    default: {
      const keys = Object.entries(d).filter(([, v]) => typeof v !== 'object').slice(0, 4).map(([k, v]) => `${k} ${v}`);
      return keys.join(' · ');
    }
  }
}

// ---------------------------------------------------------------- actions

// Opens the confirmation; resolves to the comment, or null when cancelled.
function confirmAction(action) {
  const dlg = $('#confirm');
  $('#confirm-title').textContent = action.label;
  $('#confirm-question').textContent = action.confirm;
  $('#confirm-comment').value = '';
  $('#confirm-error').textContent = '';
  // A request that records no reason (starting a deployment) asks none.
  $('#confirm-reason').hidden = !!action.no_comment;
  $('#confirm-optional').textContent = action.comment_required ? '(required; recorded in the audit trail)' : '(recorded in the audit trail)';
  $('#confirm-ok').textContent = action.label;
  $('#confirm-ok').className = action.danger ? 'danger-filled' : 'primary';
  return new Promise((resolve) => {
    const done = (value) => {
      $('#confirm-form').onsubmit = null;
      $('#confirm-cancel').onclick = null;
      dlg.onclose = null;
      if (dlg.open) dlg.close();
      resolve(value);
    };
    $('#confirm-form').onsubmit = (ev) => {
      ev.preventDefault();
      const comment = $('#confirm-comment').value.trim();
      if (action.comment_required && !comment) { $('#confirm-error').textContent = 'Say why: the reason is recorded with the decision.'; return; }
      done(comment);
    };
    $('#confirm-cancel').onclick = () => done(null);
    dlg.onclose = () => done(null);
    dlg.showModal();
    if (action.no_comment) $('#confirm-ok').focus(); else $('#confirm-comment').focus();
  });
}

async function runAction(action, onDone) {
  const comment = await confirmAction(action);
  if (comment === null) return;
  const body = { ...action.body };
  if (comment) body.comment = comment;
  const msg = $('#action-message');
  try {
    await api(action.path, { method: action.method, body });
    if (msg) msg.innerHTML = `<span class="ok">${esc(action.label)}: done${comment ? ' — “' + esc(comment) + '”' : ''}.</span>`;
  } catch (e) {
    if (e instanceof AuthError) throw e;
    if (msg) msg.innerHTML = `<span class="error">${esc(action.label)} refused: ${esc(e.message)}</span>`;
  }
  if (onDone) await onDone();
}

function actionButtons(actions) {
  if (!actions.length) return '<span class="muted" id="no-actions">No action is open to you here now.</span>';
  return actions.map((a, i) => `<button type="button" class="action ${a.danger ? 'danger' : ''}" data-action="${esc(a.action)}" data-i="${i}">${esc(a.label)}</button>`).join('');
}

// ---------------------------------------------------------------- services

function fleetParts(fleets) {
  return fleets.map((f, i) => ({ label: `${f.role} ${f.version}`, weight: f.weight || 0, color: roleColor(f.role, i) }));
}

async function pageServices(view) {
  const load = async () => {
    let list;
    try {
      list = await api('/api/v1/status');
    } catch (e) {
      // Roles in some environments only: the status of each of them.
      if (e.status !== 403) throw e;
      const envs = Object.keys((state.session && state.session.roles) || {}).filter((x) => x !== '*');
      list = (await Promise.all(envs.map((env) => api('/api/v1/status?env=' + encodeURIComponent(env)).catch(() => [])))).flat();
    }
    if (stale(view)) return;
    list = Array.isArray(list) ? list : [];
    const services = [...new Set(list.map((r) => r.service))].sort();
    const order = ['int', 'uat', 'prod'];
    const envs = [...new Set(list.map((r) => r.env))].sort((a, b) => {
      const ia = order.indexOf(a), ib = order.indexOf(b);
      return ia !== ib ? (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) : a.localeCompare(b);
    });
    const cell = (svc, env) => {
      const r = list.find((x) => x.service === svc && x.env === env);
      if (!r) return '<td class="muted">—</td>';
      const d = r.deployment || {};
      const fleets = r.fleets || [];
      const live = fleets.filter((f) => f.weight > 0);
      const healthy = live.reduce((a, f) => a + (f.healthy || 0), 0), instances = live.reduce((a, f) => a + (f.instances || 0), 0);
      const debt = (r.hotfix_debt || []).map((h) => `${esc(h.version)} not yet through ${esc((h.missing || []).join(', '))}`).join('; ');
      const label = labelOf(d);
      const waiting = !TERMINAL.has(d.state) || label !== d.state;
      return `<td data-service="${esc(svc)}" data-env="${esc(env)}">
        <div class="cell-head"><strong>${esc(d.version)}</strong> ${badge(label)}</div>
        <div class="muted">${esc(d.strategy)}${stepText(d) ? ' · ' + esc(stepText(d)) : ''} · health ${healthy}/${instances}</div>
        ${waiting ? `<div class="activity">${esc(activityText(d))}</div>` : ''}
        ${weightBar(fleetParts(fleets))}
        <div class="muted small">${live.map((f) => `${esc(f.role)} ${esc(f.version)} ${f.weight}%`).join(' · ') || 'no traffic'}</div>
        ${debt ? `<div class="error small">hotfix debt: ${debt}</div>` : ''}
        ${d.reason && d.state !== 'running' ? `<div class="reason small">${esc(d.reason)}</div>` : ''}
        <a href="#/deployment/${encodeURIComponent(d.id)}">${esc(d.id)}</a> <span class="muted small">${esc(ago(d.updated_at))}</span></td>`;
    };
    const box = $('#matrix-box', view);
    if (!box) return;
    box.innerHTML = `${services.length ? `<table class="matrix" id="matrix"><thead><tr><th>service</th>${envs.map((e) => `<th>${esc(e)}</th>`).join('')}</tr></thead>
      <tbody>${services.map((s) => `<tr><th>${esc(s)}</th>${envs.map((e) => cell(s, e)).join('')}</tr>`).join('')}</tbody></table>`
        : '<p class="muted">Nothing deployed yet.</p>'}`;
  };
  view.innerHTML = `<h1>Services × environments</h1><div id="matrix-box"></div><section id="deploy-box"></section>`;
  await load();
  if (stale(view)) return;
  await deployForm($('#deploy-box', view), view);
  if (stale(view)) return;
  every(2000, () => load().catch(pageError(view)));
}

// Start a deployment: a release of a service into an environment the
// caller may deploy to (GET /api/v1/dashboard/deploy says which: the same
// rule as the API's). The API decides the rest (pipeline order, approvals,
// freezes) and its refusal is shown as it comes.
async function deployForm(box, view) {
  let targets;
  try {
    targets = await api('/api/v1/dashboard/deploy');
  } catch (e) {
    if (e instanceof AuthError) throw e;
    box.innerHTML = `<p class="muted small" id="deploy-unavailable">${esc(e.message)}</p>`;
    box.dataset.ready = '1'; box.dataset.user = (state.session && state.session.user) || '';
    return;
  }
  if (stale(view)) return;
  const envs = (targets.envs || []).filter((e) => e.may_deploy).map((e) => e.name);
  if (!envs.length || !(targets.services || []).length) { box.innerHTML = ''; box.dataset.ready = '1'; box.dataset.user = (state.session && state.session.user) || ''; return; }
  box.innerHTML = `<h2>Deploy a release</h2>
    <form id="deploy-form" class="card deploy">
      <label>service <select id="deploy-service">${targets.services.map((s) => `<option>${esc(s)}</option>`).join('')}</select></label>
      <label>version <select id="deploy-version"></select></label>
      <label>to <select id="deploy-env">${envs.map((e) => `<option>${esc(e)}</option>`).join('')}</select></label>
      <button type="submit" class="primary" id="deploy-submit">Deploy…</button>
      <p class="small muted">It runs by the service's strategy in the config of record (version ${esc(targets.config_version)}).</p>
      <p id="deploy-message" role="status"></p>
    </form>`;
  const versions = async () => {
    const svc = $('#deploy-service', box).value;
    const sel = $('#deploy-version', box);
    sel.innerHTML = '';
    const list = await api('/api/v1/releases?service=' + encodeURIComponent(svc));
    // Newest first: the API lists by creation time.
    sel.innerHTML = list.slice().reverse().map((r) => `<option>${esc(r.version)}</option>`).join('');
    $('#deploy-submit', box).disabled = !list.length;
    if (!list.length) $('#deploy-message', box).innerHTML = `<span class="muted">No release of ${esc(svc)} yet: <code>ramp release create ${esc(svc)} --version V</code>.</span>`;
  };
  $('#deploy-service', box).onchange = () => versions().catch(handleError);
  await versions();
  box.dataset.ready = '1'; box.dataset.user = (state.session && state.session.user) || '';
  $('#deploy-form', box).onsubmit = async (ev) => {
    ev.preventDefault();
    const body = { service: $('#deploy-service', box).value, version: $('#deploy-version', box).value, env: $('#deploy-env', box).value };
    const ok = await confirmAction({ label: 'Deploy', no_comment: true,
      confirm: `Deploy ${body.service} ${body.version} to ${body.env}? Traffic moves by the strategy of the config of record; the judge decides each step.` });
    if (ok === null) return;
    const msg = $('#deploy-message', box);
    try {
      const d = await api('/api/v1/deployments', { method: 'POST', body });
      location.hash = '#/deployment/' + encodeURIComponent(d.id);
    } catch (e) {
      if (e instanceof AuthError) throw e;
      msg.innerHTML = `<span class="error">Deploy refused: ${esc(e.message)}</span>`;
    }
  };
}

// ---------------------------------------------------------------- deployments

async function pageDeployments(view, params) {
  const filter = { service: params.get('service') || '', env: params.get('env') || '', state: params.get('state') || '' };
  const page = Math.max(0, parseInt(params.get('page') || '0', 10) || 0);
  const size = 25;
  const q = new URLSearchParams({ limit: '1000' });
  if (filter.service) q.set('service', filter.service);
  if (filter.env) q.set('env', filter.env);
  let all;
  try {
    all = await api('/api/v1/deployments?' + q);
  } catch (e) {
    // Roles in some environments only: the deployments of each of them.
    if (e.status !== 403 || filter.env) throw e;
    const envs = Object.keys((state.session && state.session.roles) || {}).filter((x) => x !== '*');
    const lists = await Promise.all(envs.map((env) => { const qe = new URLSearchParams(q); qe.set('env', env); return api('/api/v1/deployments?' + qe).catch(() => []); }));
    all = lists.flat().sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  }
  if (stale(view)) return;
  const rows = all.filter((d) => !filter.state || labelOf(d) === filter.state || d.state === filter.state);
  const shown = rows.slice(page * size, page * size + size);
  const link = (p) => { const u = new URLSearchParams({ ...filter, page: String(p) }); for (const [k, v] of [...u]) if (!v) u.delete(k); return '#/deployments?' + u; };
  view.innerHTML = `<h1>Deployments</h1>
    <form class="filters" id="deployment-filters">
      <input type="text" name="service" placeholder="service" value="${esc(filter.service)}" aria-label="service">
      <input type="text" name="env" placeholder="environment" value="${esc(filter.env)}" aria-label="environment">
      <select name="state" aria-label="state">${['', 'running', 'paused', 'awaiting_approval', 'queued', 'baking', 'succeeded', 'rolled_back', 'failed', 'aborted'].map((s) => `<option value="${s}" ${s === filter.state ? 'selected' : ''}>${s ? s.replace(/_/g, ' ') : 'any state'}</option>`).join('')}</select>
      <button type="submit">Filter</button>
    </form>
    <table id="deployments"><thead><tr><th>deployment</th><th>service</th><th>env</th><th>version</th><th>strategy</th><th>state</th><th>progress</th><th>created</th></tr></thead><tbody>
    ${shown.map((d) => `<tr><td><a href="#/deployment/${encodeURIComponent(d.id)}">${esc(d.id)}</a></td><td>${esc(d.service)}</td><td>${esc(d.env)}</td><td>${esc(d.version)}</td><td>${esc(d.strategy)}</td>
      <td>${badge(labelOf(d))}</td><td class="small">${esc(stepText(d))}${d.reason && d.state !== 'running' ? `<div class="reason clip">${esc(d.reason)}</div>` : ''}</td><td class="small">${esc(localTime(d.created_at))}<div class="muted">by ${esc(d.created_by)}</div></td></tr>`).join('')}
    </tbody></table>
    <div class="pager"><span class="muted">${rows.length ? `${page * size + 1}–${page * size + shown.length} of ${rows.length}` : 'no deployment matches'}</span>
      ${page > 0 ? `<a href="${link(page - 1)}" id="newer">← newer</a>` : ''} ${(page + 1) * size < rows.length ? `<a href="${link(page + 1)}" id="older">older →</a>` : ''}</div>`;
  $('#deployment-filters', view).addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const u = new URLSearchParams();
    for (const [k, v] of f) if (v) u.set(k, v);
    location.hash = '#/deployments' + (u.toString() ? '?' + u : '');
  });
}

// ---------------------------------------------------------------- one deployment

function seriesFrom(points) {
  // fleet id -> {role, version, rows: [{t, ...point}]}
  const fleets = {};
  for (const p of points) {
    for (const [id, f] of Object.entries(p.fleets || {})) {
      (fleets[id] = fleets[id] || { role: f.role, version: f.version, rows: [] }).rows.push({ t: p.t, ...f });
    }
  }
  return Object.entries(fleets).map(([id, f], i) => ({ id, ...f, color: roleColor(f.role, i) }));
}

function marksFrom(events) {
  const marks = [];
  let lastStep = null;
  for (const e of events) {
    const d = e.data || {};
    const t = e.time_ms || Date.parse(e.time);
    if (e.kind === 'deployment.phase' && d.step != null && d.step !== lastStep && (String(d.phase || '').startsWith('canary_') || d.phase === 'switch')) {
      marks.push({ t, kind: 'step', label: d.phase === 'switch' ? 'switch' : `step ${d.step}`, title: `${d.phase} at step ${d.step}` });
      lastStep = d.step;
    } else if (e.kind === 'verdict') {
      marks.push({ t, kind: d.verdict === 'pass' ? 'pass' : d.verdict === 'fail' ? 'fail' : 'inconclusive', label: d.verdict, title: `judge: ${d.verdict} — ${d.reason || ''}` });
    } else if (e.kind === 'deployment.control' || e.kind === 'deployment.rollback') {
      marks.push({ t, kind: 'step', label: d.action || 'rollback', title: eventSentence(e) });
    }
  }
  return marks;
}

function chartsHtml(points, events, d) {
  const fleets = seriesFrom(points);
  const marks = marksFrom(events);
  const times = points.map((p) => p.t);
  const created = Date.parse(d.created_at);
  const x0 = times.length ? Math.min(...times) : created;
  const x1 = TERMINAL.has(d.state) && d.progress && d.progress.label === d.state && times.length ? Math.max(...times) : Date.now();
  const pick = (key, scale = 1) => (f) => f.rows.map((r) => [r.t, r[key] == null ? null : r[key] * scale]);
  const name = (f) => `${f.role} ${f.version}`;
  const weights = fleets.flatMap((f) => [
    { name: name(f), color: f.color, step: true, points: pick('weight')(f) },
    { name: `${f.role} (router)`, color: f.color, dashed: true, step: true, points: pick('applied_weight')(f) }]);
  const common = { marks, x0, x1 };
  const latest = fleets.map((f) => ({ f, r: f.rows[f.rows.length - 1] || {} }));
  return `<div class="charts">
    ${lineChart({ title: 'traffic weight — wanted (solid) and carried by the router (dashed)', series: weights, unit: '%', yMaxAtLeast: 100, id: 'chart-weights', ...common })}
    ${lineChart({ title: 'requests per second', series: fleets.map((f) => ({ name: name(f), color: f.color, points: pick('rps')(f) })), unit: '/s', yMaxAtLeast: 1, id: 'chart-requests', ...common })}
    ${lineChart({ title: 'error rate (5xx and upstream errors)', series: fleets.map((f) => ({ name: name(f), color: f.color, points: pick('error_rate', 100)(f) })), unit: '%', yMaxAtLeast: 1, id: 'chart-errors', ...common })}
    ${lineChart({ title: 'latency p50 (solid) and p99 (dashed)', series: fleets.flatMap((f) => [{ name: `${name(f)} p50`, color: f.color, points: pick('p50_ms')(f) }, { name: `p99`, color: f.color, dashed: true, points: pick('p99_ms')(f) }]), unit: 'ms', yMaxAtLeast: 1, id: 'chart-latency', ...common })}
  </div>
  ${latest.length ? `<table class="now" id="fleet-now"><thead><tr><th>fleet</th><th>weight (router)</th><th>requests/s</th><th>error rate</th><th>p50</th><th>p90</th><th>p99</th><th>requests</th></tr></thead><tbody>
    ${latest.map(({ f, r }) => `<tr><td><span class="swatch" data-color="${esc(f.color)}"></span>${esc(name(f))} <span class="muted small">${esc(f.id)}</span></td>
      <td>${r.weight ?? '—'}% (${r.applied_weight ?? '?'}%)</td><td>${formatValue(r.rps, '')}</td><td>${r.error_rate == null ? '—' : formatValue(100 * r.error_rate, '%')}</td>
      <td>${formatValue(r.p50_ms, ' ms')}</td><td>${formatValue(r.p90_ms, ' ms')}</td><td>${formatValue(r.p99_ms, ' ms')}</td><td>${r.requests_total ?? '—'}</td></tr>`).join('')}
  </tbody></table>` : ''}`;
}

// The judge's latest look: counts, rates and the evidence against each
// threshold, with the time by which it decides at the latest.
function judgeHtml(d) {
  const v = d.verdict;
  const p = d.progress || {};
  const analysing = d.phase === 'canary_analysis' || (d.phase === 'bake' && p.next_look_in_ms != null);
  if (!v && !analysing) return '';
  let when = '';
  if (analysing) {
    when = `look ${p.judge_looks ?? 0}${p.next_look_in_ms != null ? `, next in ${duration(p.next_look_in_ms)}` : ''}`;
    if (p.ends_at) when += ` · decides by ${esc(localTime(p.ends_at))} at the latest (${duration(p.ends_in_ms)} left)`;
    // The judge's forecast (analysis/: more canary requests to a decision,
    // and with the engine's progress numbers, seconds at the current rate).
    const fc = (v && v.progress && v.progress.forecast) || (v && v.details && v.details.forecast);
    const seen = v && v.progress && v.progress.canary;
    if (seen) {
      // Requests seen and needed (the judge's running counts, judge #17).
      when += ` · <span id="judge-progress">${esc(seen.requests ?? 0)} canary requests seen (${esc(seen.errors ?? 0)} errors, ${esc(seen.per_second ?? 0)}/s)${fc && fc.requests != null ? `, ~${Math.round((seen.requests || 0) + fc.requests)} needed` : ''}</span>`;
    }
    if (fc) {
      const what = fc.decision ? `a ${esc(fc.decision)}` : 'a decision';
      if (fc.seconds != null) when += ` · ${what} expected in ~${duration(1000 * fc.seconds)}${fc.within_deadline === false ? ' (after the deadline)' : ''}`;
      else if (fc.requests != null) when += ` · ${what} expected after ~${Math.round(fc.requests)} more canary requests`;
    }
  }
  const metrics = ((v && v.metrics) || []).map((m) => {
    const s = m.stats || {}, c = s.canary || {}, b = s.baseline || {};
    let numbers = '', evidence = '';
    if ('rate' in c || 'errors' in c) {
      numbers = `canary <strong>${formatValue(100 * (c.rate || 0), '%')}</strong> (${c.errors ?? 0} of ${c.requests ?? 0}) vs baseline <strong>${formatValue(100 * (b.rate || 0), '%')}</strong> (${b.errors ?? 0} of ${b.requests ?? 0})`;
      if (s.fail_threshold != null) {
        evidence = `<div class="evidence-row">evidence to fail ${evidenceBar(s.likelihood_ratio_fail, s.fail_threshold, { kind: 'fail' })} ${formatValue(s.likelihood_ratio_fail)} of ${formatValue(s.fail_threshold)}</div>`;
      }
      if (s.pass_threshold != null) {
        evidence += `<div class="evidence-row">evidence to pass ${evidenceBar(s.pass_evidence, s.pass_threshold, { kind: 'pass' })} ${formatValue(s.pass_evidence)} of ${formatValue(s.pass_threshold)}</div>`;
      }
    } else if ('median_ms' in c || m.kind === 'latency') {
      numbers = `canary p50 <strong>${formatValue(c.median_ms, ' ms')}</strong> p99 ${formatValue(c.p99_ms, ' ms')} (n ${c.n ?? 0}) vs baseline p50 <strong>${formatValue(b.median_ms, ' ms')}</strong> p99 ${formatValue(b.p99_ms, ' ms')} (n ${b.n ?? 0})`;
      if (s.z != null && s.boundary_z != null) {
        evidence = `<div class="evidence-row">shift |z| ${evidenceBar(Math.abs(s.z), s.boundary_z, { kind: 'fail' })} ${formatValue(Math.abs(s.z))} of ${formatValue(s.boundary_z)}${s.shift_ratio != null ? ` · canary ×${formatValue(s.shift_ratio)}` : ''}</div>`;
      }
    }
    const mf = s.forecast || {};
    if (mf.pass_requests != null || mf.fail_requests != null) {
      evidence += `<div class="muted small">to decide: ${mf.pass_requests != null ? `pass after ~${Math.round(mf.pass_requests)} more canary requests` : ''}${mf.pass_requests != null && mf.fail_requests != null ? ', ' : ''}${mf.fail_requests != null ? `fail after ~${Math.round(mf.fail_requests)}` : ''}</div>`;
    }
    return `<div class="metric"><div><code>${esc(m.name)}</code> ${badge(m.classification || '')} <span class="small">${numbers}</span></div>${evidence}<div class="muted small">${esc(m.reason || '')}</div></div>`;
  }).join('');
  return `<div class="card judge" id="judge"><h2>The judge${v ? ` — ${badge(v.verdict)}${v.score != null ? ` score ${esc(v.score)}` : ''}` : ''}</h2>
    ${when ? `<div class="when">${when}</div>` : ''}${v && v.reason ? `<div class="small">${esc(v.reason)}</div>` : ''}${metrics || '<p class="muted">No look yet: the first comes after one interval.</p>'}</div>`;
}

function summaryHtml(d, live) {
  const names = d.step_names || [];
  const p = d.progress || {};
  const label = labelOf(d);
  const steps = names.map((n, i) => `<span class="${i + 1 < p.step || (i + 1 === p.step && TERMINAL.has(d.state) && label === d.state && d.state === 'succeeded') ? 'done' : i + 1 === p.step ? 'current' : ''}">${i + 1}. ${esc(n)}</span>`).join('');
  // Ended (its state is final) is never "live", even while the fleets it
  // left are still being drained and retired.
  const finished = TERMINAL.has(d.state) && label === d.state;
  const ended = finished && d.phase === 'done';
  const liveText = finished ? `ended ${esc(ago(d.finished_at || d.updated_at))}${ended ? '' : ' · cleaning up'}` : live ? '● following live' : 'reconnecting…';
  return `<div class="summary-head"><span class="title">${esc(d.service)} <strong>${esc(d.version)}</strong> → ${esc(d.env)}</span>
      <span id="dep-state">${badge(label)}</span>
      <span class="live ${live && !finished ? 'on' : ''}" id="live">${liveText}</span></div>
    <div class="facts"><span>${esc(d.strategy)}${d.kind && d.kind !== 'deploy' ? ' (' + esc(d.kind) + ')' : ''}</span>
      <span>release <code>${esc(short(d.digest))}</code></span>
      <span>by ${esc(d.created_by)}, ${esc(localTime(d.created_at))}</span>
      <span>updated ${esc(ago(d.updated_at))}</span>
      <span>phase <code id="dep-phase">${esc(d.phase)}</code></span>
      <span id="dep-step">${esc(stepText(d))}</span></div>
    <div class="steps" id="steps">${steps}</div>
    ${ended ? '' : `<div class="activity" id="dep-activity">${esc(activityText(d))}</div>`}
    ${d.reason && (d.state !== 'running' || label === 'rolling_back') ? `<div class="reason" id="dep-reason">${esc(d.reason)}</div>` : ''}`;
}

function timelineHtml(events) {
  return events.slice().reverse().map((e) => `<li><span class="time" title="${esc(e.time)}">${esc(localTime(e.time))}</span>
    <span class="kind">${esc(e.kind)}</span> <span>${esc(eventSentence(e))}</span></li>`).join('');
}

async function pageDeployment(view, id) {
  const enc = encodeURIComponent(id);
  const [d0, events, acts, series] = await Promise.all([
    api(`/api/v1/deployments/${enc}`), api(`/api/v1/events?deployment=${enc}`), api(`/api/v1/deployments/${enc}/actions`),
    api(`/api/v1/deployments/${enc}/series`).catch(() => ({ points: [] }))]);
  if (stale(view)) return;
  const s = { d: d0, events, actions: acts.actions || [], points: series.points || [], live: false };
  let lastSeq = events.reduce((a, e) => Math.max(a, e.seq), 0);
  let lastT = s.points.reduce((a, p) => Math.max(a, p.t), 0);
  view.innerHTML = `<div class="card" id="summary"></div>
    <div class="actions" id="actions"></div><p id="action-message" role="status"></p>
    <div id="judge-slot"></div>
    <div id="charts-slot"></div>
    <h2>Timeline</h2><ul class="timeline" id="timeline"></ul>`;
  // Each part is replaced only when its markup changed (a button under the
  // pointer stays the same element; the timeline keeps its scroll).
  const put = (sel, html) => { const el = $(sel, view); if (el && el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; return true; } return false; };
  const draw = { summary: () => { put('#summary', summaryHtml(s.d, s.live)); },
    actions: () => {
      if (!put('#actions', actionButtons(s.actions))) return;
      view.querySelectorAll('#actions button.action').forEach((b) => b.addEventListener('click', () => runAction(s.actions[+b.dataset.i], refresh).catch(handleError)));
    },
    judge: () => { put('#judge-slot', judgeHtml(s.d)); },
    charts: () => {
      if (put('#charts-slot', chartsHtml(s.points, s.events, s.d))) view.querySelectorAll('.swatch').forEach((sw) => { sw.style.backgroundColor = sw.dataset.color; });
    },
    timeline: () => { put('#timeline', timelineHtml(s.events)); } };
  const all = () => Object.values(draw).forEach((f) => f());
  all();
  let pending = null;
  async function refresh() {
    const [d, a] = await Promise.all([api(`/api/v1/deployments/${enc}`), api(`/api/v1/deployments/${enc}/actions`)]);
    s.d = d;
    s.actions = a.actions || [];
    all();
  }
  const soon = () => {
    if (pending) return;
    pending = setTimeout(() => { pending = null; if (!stale(view)) refresh().catch(pageError(view)); }, 150);
  };
  const onEvent = (msg) => {
    try {
      const e = JSON.parse(msg.data);
      if (e.seq <= lastSeq) return;
      lastSeq = e.seq;
      s.events.push(e);
      soon();
    } catch (err) { /* a keep-alive or a partial line */ }
  };
  const kinds = ['deployment.created', 'deployment.phase', 'deployment.finished', 'deployment.control', 'deployment.rollback', 'traffic.set', 'verdict',
    'deployment.approved', 'deployment.rejected', 'deployment.awaiting_approval', 'deployment.wave_succeeded'];
  const handlers = { message: onEvent, open: () => { s.live = true; draw.summary(); }, error: () => { s.live = false; draw.summary(); } };
  for (const k of kinds) handlers[k] = onEvent;
  stream(`/api/v1/events/stream?deployment=${enc}&after=${lastSeq}`, handlers);
  // The fleets' samples: a point a second while the deployment runs.
  let seriesLive = false;
  stream(`/api/v1/deployments/${enc}/series/stream?after=${lastT}`, {
    point: (msg) => {
      try {
        const p = JSON.parse(msg.data);
        if (p.t <= lastT) return;
        lastT = p.t;
        seriesLive = true;
        s.points.push(p);
        if (s.points.length > 3600) s.points.shift();
        draw.charts();
      } catch (err) { /* ignore */ }
    },
    error: () => { seriesLive = false; } });
  // Kinds not listed above, progress numbers (time left), and the charts
  // when the stream is not there (a follower answers the plain GET only).
  every(1000, async () => {
    try {
      const more = await api(`/api/v1/events?deployment=${enc}&after=${lastSeq}`);
      for (const e of more) if (e.seq > lastSeq) { lastSeq = e.seq; s.events.push(e); }
      if (!seriesLive) {
        const pts = await api(`/api/v1/deployments/${enc}/series?after=${lastT}`).catch(() => ({ points: [] }));
        for (const p of pts.points || []) if (p.t > lastT) { lastT = p.t; s.points.push(p); }
        draw.charts();
      }
      if (!TERMINAL.has(s.d.state) || s.d.phase !== 'done' || more.length) await refresh();
    } catch (e) { pageError(view)(e); }
  });
}

// ---------------------------------------------------------------- approvals

async function pageApprovals(view) {
  let list = await api('/api/v1/approvals');
  if (stale(view)) return;
  list = Array.isArray(list) ? list : (list.approvals || []);
  const me = state.session && state.session.user;
  const rows = list.map((a) => {
    const ap = a.approval || {};
    const id = a.id;
    const allowed = !!a.may_approve;
    const why = allowed ? '' : ap.requester === me ? 'you requested it: another person approves (four-eyes)' : `needs the role ${(ap.roles || ['approver']).join(' or ')} in ${a.env}`;
    const given = (ap.approvals || []).map((x) => esc(x.by)).join(', ');
    const href = a.kind === 'infra_change' ? '' : `#/deployment/${encodeURIComponent(id)}`;
    return `<tr data-id="${esc(id)}"><td>${href ? `<a href="${href}">${esc(id)}</a>` : esc(id)}</td><td>${esc(a.service || 'infrastructure')}</td><td>${esc(a.env)}</td><td>${esc(a.version || '')}</td>
      <td>${esc(ap.requester)}</td><td>${ap.approvals_count ?? (ap.approvals || []).length}/${esc(ap.required)} ${given ? '(' + given + ')' : ''}</td>
      <td class="decide">${allowed ? '<button type="button" class="primary approve">Approve</button> ' : ''}${allowed || ap.requester === me ? `<button type="button" class="danger reject">${ap.requester === me ? 'Withdraw' : 'Reject'}</button>` : ''}
        ${why ? `<div class="muted small">${esc(why)}</div>` : ''}</td></tr>`;
  }).join('');
  view.innerHTML = `<h1>Pending approvals</h1><p id="action-message" role="status"></p>${list.length ? `<table id="approvals"><thead><tr><th>request</th><th>service</th><th>env</th><th>version</th><th>requested by</th><th>approvals</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted" id="no-approvals">Nothing waits for an approval.</p>'}`;
  view.querySelectorAll('button.approve, button.reject').forEach((b) => b.addEventListener('click', () => {
    const tr = b.closest('tr');
    const id = tr.dataset.id;
    const verb = b.classList.contains('approve') ? 'approve' : 'reject';
    const a = list.find((x) => x.id === id) || {};
    const base = String(id).startsWith('infra-') ? `/api/v1/infra/changes/${encodeURIComponent(id)}/` : `/api/v1/approvals/${encodeURIComponent(id)}/`;
    runAction({ label: verb === 'approve' ? 'Approve' : b.textContent, confirm: `${verb === 'approve' ? 'Approve' : 'Reject'} ${a.service || 'the infrastructure change'} ${a.version || ''} in ${a.env}?`,
      method: 'POST', path: base + verb, body: {}, danger: verb !== 'approve', comment_required: verb === 'reject' }, async () => {
      const message = $('#action-message').innerHTML;
      await pageApprovals(view);
      $('#action-message').innerHTML = message;
    }).catch(handleError);
  }));
}

// ---------------------------------------------------------------- audit

const AUDIT_KINDS = ['', 'deployment.', 'traffic.', 'verdict', 'infra.', 'user.', 'token.', 'alarm.'];

async function pageAudit(view, params) {
  const f = { kind: params.get('kind') || '', actor: params.get('actor') || '', service: params.get('service') || '', env: params.get('env') || '', deployment: params.get('deployment') || '' };
  const before = params.get('before') || '';
  const size = 50;
  const q = new URLSearchParams({ order: 'desc', limit: String(size + 1) });
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  if (before) q.set('before', before);
  let events;
  try {
    events = await api('/api/v1/audit?' + q);
  } catch (e) {
    if (stale(view)) return;
    // Roles in some environments only: the trail of one of them at a time.
    const envs = Object.keys((state.session && state.session.roles) || {}).filter((x) => x !== '*');
    if (e.status === 403 && !f.env && envs.length) { location.hash = `#/audit?env=${encodeURIComponent(envs[0])}`; return; }
    throw e;
  }
  const verify = await api('/api/v1/audit/verify').catch((e) => (e.status === 403 ? { unknown: true } : { ok: false, problem: e.message }));
  if (stale(view)) return;
  const more = events.length > size;
  const page = events.slice(0, size);
  const link = (extra) => { const u = new URLSearchParams(); for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) u.set(k, v); return '#/audit' + (u.toString() ? '?' + u : ''); };
  view.innerHTML = `<h1>Audit trail</h1>
    <div class="card" id="audit-verify">${verify.unknown ? '<span class="state">not checked</span> verifying the whole chain needs the viewer role in every environment' : verify.ok ? `<span class="state ok">verified</span> ${esc(verify.count)} events, hash chain intact${verify.sealed_at ? ', sealed at ' + esc(localTime(verify.sealed_at)) : ''} · head <code>${esc(String(verify.head || '').slice(0, 16))}</code>`
      : `<span class="state broken">NOT verified</span> ${esc(verify.problem)}${verify.first_broken_seq ? ' (first broken event ' + esc(verify.first_broken_seq) + ')' : ''}`}</div>
    <form class="filters" id="audit-filters">
      <select name="kind" aria-label="kind">${AUDIT_KINDS.map((k) => `<option value="${k}" ${k === f.kind ? 'selected' : ''}>${k ? k.replace(/\.$/, '') + ' events' : 'every kind'}</option>`).join('')}</select>
      <input type="text" name="actor" placeholder="who" value="${esc(f.actor)}" aria-label="who">
      <input type="text" name="service" placeholder="service" value="${esc(f.service)}" aria-label="service">
      <input type="text" name="env" placeholder="environment" value="${esc(f.env)}" aria-label="environment">
      <input type="text" name="deployment" placeholder="deployment id" value="${esc(f.deployment)}" aria-label="deployment">
      <button type="submit">Filter</button> ${Object.values(f).some(Boolean) ? `<a href="#/audit">clear</a>` : ''}
    </form>
    <table id="audit" class="audit"><thead><tr><th>#</th><th>when</th><th>who</th><th>what</th><th>where</th><th></th></tr></thead><tbody>
    ${page.map((e) => `<tr data-seq="${e.seq}"><td class="muted">${e.seq}</td><td class="nowrap" title="${esc(e.time)}">${esc(localTime(e.time))}</td><td class="nowrap">${esc(e.actor)}</td>
      <td><span class="kind">${esc(e.kind)}</span><div class="sentence">${esc(eventSentence(e))}</div></td>
      <td>${esc([e.service, e.env].filter(Boolean).join(' / '))}${e.deployment ? `<div><a href="#/deployment/${encodeURIComponent(e.deployment)}">${esc(e.deployment)}</a></div>` : ''}</td>
      <td><details><summary>data</summary><pre>${esc(JSON.stringify(e.data, null, 2))}</pre><div class="muted small">hash <code>${esc(String(e.hash || '').slice(0, 16))}</code></div></details></td></tr>`).join('')}
    </tbody></table>
    <div class="pager" id="audit-pager"><span class="muted">${page.length ? `events ${page[page.length - 1].seq}–${page[0].seq}, newest first` : 'no event matches'}</span>
      ${before ? `<a href="${link({})}" id="audit-newest">newest</a>` : ''}
      ${more ? `<a href="${link({ before: String(page[page.length - 1].seq) })}" id="audit-older">older →</a>` : ''}</div>`;
  $('#audit-filters', view).addEventListener('submit', (ev) => {
    ev.preventDefault();
    const u = new URLSearchParams();
    for (const [k, v] of new FormData(ev.target)) if (v) u.set(k, v.trim());
    location.hash = '#/audit' + (u.toString() ? '?' + u : '');
  });
}

// ---------------------------------------------------------------- delivery

function days(s) {
  if (s == null) return '—';
  if (s < 120) return s.toFixed(0) + ' s';
  if (s < 7200) return (s / 60).toFixed(1) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' d';
}

async function pageStats(view) {
  const s = await api('/api/v1/stats?since=30d');
  if (stale(view)) return;
  view.innerHTML = `<h1>Delivery (DORA, last 30 days)</h1>
    <table id="stats"><thead><tr><th>service</th><th>env</th><th>deployments / week</th><th>lead time median (p90)</th><th>change failure rate</th><th>time to restore (median)</th></tr></thead><tbody>
    ${s.services.map((r) => `<tr><td>${esc(r.service)}</td><td>${esc(r.env)}</td><td>${r.deployment_frequency.per_week.toFixed(1)} (${r.deployment_frequency.succeeded} succeeded)</td>
      <td>${days(r.lead_time.median_seconds)} (${days(r.lead_time.p90_seconds)})</td>
      <td>${r.change_failure_rate.rate == null ? '—' : (100 * r.change_failure_rate.rate).toFixed(0) + '%'} (${r.change_failure_rate.failed}/${r.change_failure_rate.finished})</td>
      <td>${days(r.time_to_restore.median_seconds)}${r.time_to_restore.unrestored ? ` (${r.time_to_restore.unrestored} not restored)` : ''}</td></tr>`).join('')}
    </tbody></table>`;
}

// ---------------------------------------------------------------- routing

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
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === path || (path.startsWith('#/deployment/') && a.getAttribute('href') === '#/deployments')));
  // Each navigation renders into its own element, shown once the page is
  // drawn (the previous page stays until then). A page whose answers arrive
  // after the user moved on (an earlier, slower navigation: the login's and
  // a link's) is stale: it renders nothing, starts no timer and no stream.
  const view = document.createElement('div');
  view.dataset.gen = String(++state.gen);
  try {
    if (!state.session) state.session = await api('/api/v1/dashboard/session');
    if (stale(view)) return;
    $('#who').textContent = `${state.session.user} (${rolesText(state.session)})`;
    let m;
    if ((m = path.match(/^#\/deployment\/(.+)$/))) await pageDeployment(view, decodeURIComponent(m[1]));
    else if (path === '#/deployments') await pageDeployments(view, params);
    else if (path === '#/approvals') await pageApprovals(view);
    else if (path === '#/audit') await pageAudit(view, params);
    else if (path === '#/stats') await pageStats(view);
    else await pageServices(view);
    if (!stale(view)) $('#view').replaceChildren(view);
  } catch (e) {
    if (stale(view)) return;
    $('#view').replaceChildren(view);
    handleError(e);
  }
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
