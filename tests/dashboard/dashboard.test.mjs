// dashboard.test.mjs — the dashboard end to end in headless Chromium, driven
// as people with different roles would drive it.
//
// A fresh world (tests/dashboard/ramp.yaml: prod deploys canaries that stop
// at a pause until resumed, then judge at 50%; dr needs an approval):
//   root   the admin (starts deployments with the CLI, as CI would)
//   vera   viewer in prod and dr: sees everything, may act on nothing
//   dave   deployer in prod: pause, resume, promote-now, abort, rollback
//   bob    approver in dr (viewer there): approve or reject dr only
// Through the page only (clicks, the confirmation dialog, a typed reason):
// dave resumes a canary waiting at its pause, pauses it during its analysis
// and resumes it, it succeeds under load; dave rolls it back; a bad canary is
// resumed by dave and rolled back by the judge with its numbers; bob
// approves a promotion into dr from its page, which then succeeds. At every
// stop the actions each user sees are checked against the role rules
// written here, independently of the server's: a role that sees an action
// it may not take FAILS the test (and so does one missing an action it
// may). The reasons typed are checked in the audit trail. Pages must not
// run off the screen (audit: readable, filtered, paged), the login page has
// no nav bar, a finished deployment is never shown "live", the charts have
// their samples, step counters never run over, and no script or CSP error
// appears in the console. Screenshots of each page go to
// $RAMP_DASHBOARD_SHOTS (default ./screenshots). Every process it starts is
// stopped at the end (tests/isolated checks).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const RAMP = process.env.RAMP_BIN;
const CRAWLER = process.env.RAMP_CRAWLER_BIN;
const HOME = path.join(process.env.RAMP_HOME || fail('RAMP_HOME is not set'), 'world');
const WORK = path.join(HOME, 'work');
const SHOTS = process.env.RAMP_DASHBOARD_SHOTS || path.resolve('screenshots');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let step = 'setup';

function fail(msg) { throw new Error(msg); }
function log(msg) { console.log(`[${new Date().toISOString()}] ${msg}`); }
function check(cond, msg) { if (!cond) fail(`${step}: ${msg}`); }

function ramp(args, { allowFail = false, token } = {}) {
  const env = { ...process.env };
  if (token) env.RAMP_TOKEN = token;
  const r = spawnSync(RAMP, ['--home', HOME, ...args], { cwd: WORK, encoding: 'utf8', timeout: 120000, env });
  if (!allowFail && r.status !== 0) fail(`ramp ${args.join(' ')} exited ${r.status}: ${r.stdout}\n${r.stderr}`);
  return r;
}

function release(version, flags) {
  const dir = path.join(HOME, 'src-' + version);
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.copyFileSync(CRAWLER, path.join(dir, 'bin', 'crawler-bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'crawler'), `#!/bin/sh\nexec "$(dirname "$0")/crawler-bin" --quiet ${flags} "$@"\n`, { mode: 0o755 });
  ramp(['release', 'create', 'crawler', '--version', version, '--from', dir]);
}

async function until(what, fn, ms = 30000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(200);
  }
  fail(`${step}: timed out after ${ms} ms waiting for ${what} (last: ${last})`);
}

// Closed-loop GET traffic on the entry point while running.
function traffic(url, clients) {
  let running = true, total = 0;
  const loops = Array.from({ length: clients }, async () => {
    const deadline = Date.now() + 150000;
    while (running && Date.now() < deadline) {
      try { const r = await fetch(url + '/'); await r.arrayBuffer(); total++; } catch (e) { await sleep(20); }
    }
  });
  return { stop: async () => { running = false; await Promise.all(loops); return total; } };
}

// The role rules, written here independently of the server's
// (DeploymentActions.h): which actions a user may be offered on a
// deployment in a given state. `roles` maps env -> roles.
function allowedActions(user, roles, d) {
  const has = (role) => {
    const grants = (rs) => rs && (rs.includes('admin') || rs.includes(role));
    return grants(roles['*']) || grants(roles[d.env]);
  };
  const terminal = ['succeeded', 'failed', 'rolled_back', 'aborted'].includes(d.state);
  const gate = ['approval', 'queue', 'window'].includes(d.phase);
  const undoing = d.phase.startsWith('rb_') || d.phase === 'fail_cleanup';
  const out = new Set();
  if (has('deployer')) {
    if (!terminal && !gate && !undoing && d.state !== 'paused') out.add('pause');
    if (d.state === 'paused') out.add('resume');
    if (!terminal && !undoing && d.phase.startsWith('canary_')) out.add('promote-now');
    if (!terminal && !undoing) out.add('abort');
    // Rollback: the newest started deployment (the caller checks with one),
    // succeeded, or running with its previous fleet still warm.
    const warm = d.old_fleet && !gate && !undoing && d.phase !== 'done' && d.phase !== 'retire_previous';
    if (d.state === 'succeeded' || (d.state === 'running' && warm)) out.add('rollback');
  }
  if (d.state === 'awaiting_approval') {
    const roles2 = (d.approval && d.approval.roles) || ['approver'];
    const may = roles2.some((r) => has(r));
    if (may && d.approval.requester !== user) out.add('approve');
    if (may || d.approval.requester === user) out.add('reject');
  }
  return out;
}

let serve, browser, page;
async function main() {
  check(RAMP && CRAWLER, 'RAMP_BIN and RAMP_CRAWLER_BIN must be set');
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const f of fs.readdirSync(SHOTS)) if (f.endsWith('.png')) fs.unlinkSync(path.join(SHOTS, f));
  fs.copyFileSync(path.join(here, 'ramp.yaml'), path.join(WORK, 'ramp.yaml'));
  release('1.0.0', '');
  release('2.0.0', '');
  release('3.0.0', '--error-rate 0.5');

  step = 'serve';
  const out = fs.openSync(path.join(HOME, 'serve.log'), 'a');
  serve = spawn(RAMP, ['--home', HOME, 'serve'], { cwd: WORK, stdio: ['ignore', out, out] });
  const base = await until('the controller', async () => {
    const j = JSON.parse(fs.readFileSync(path.join(HOME, 'controller.json'), 'utf8'));
    const r = await fetch(`http://${j.address}/api/v1/health`);
    return r.ok && j.pid === serve.pid ? `http://${j.address}` : null;
  }, 20000);
  const rootToken = fs.readFileSync(path.join(HOME, 'admin.token'), 'utf8').trim();
  const api = async (p, token = rootToken) => (await fetch(base + p, { headers: { Authorization: 'Bearer ' + token } })).json();
  log(`controller at ${base}`);
  ramp(['config', 'push', '-m', 'the dashboard world']);  // deployments run with the config of record
  const people = {
    vera: { roles: { prod: ['viewer'], dr: ['viewer'] }, grants: ['viewer@prod', 'viewer@dr'] },
    dave: { roles: { prod: ['deployer'] }, grants: ['deployer@prod'] },
    bob: { roles: { dr: ['approver', 'viewer'] }, grants: ['approver@dr', 'viewer@dr'] },
  };
  for (const [name, p] of Object.entries(people)) {
    ramp(['user', 'add', name, ...p.grants.flatMap((g) => ['--role', g])]);
    p.token = ramp(['token', 'create', '--user', name]).stdout.trim().split('\n').pop().trim();
  }
  ramp(['deploy', 'crawler', '--env', 'prod', '--version', '1.0.0', '--strategy', 'bluegreen']);
  const entry = (await api('/api/v1/status')).find((s) => s.env === 'prod').entrypoint;
  check(entry, 'no entry point in the status');

  // Step counters never run over, whatever is polled while the canaries run.
  let overrun = '';
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        for (const s of await api('/api/v1/status')) {
          const p = (s.deployment || {}).progress || {};
          if (p.step > p.steps || s.deployment.step > s.deployment.steps) overrun = JSON.stringify(s.deployment);
        }
      } catch (e) { /* the controller may be busy */ }
      await sleep(300);
    }
  })();

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource|401|403/.test(m.text())) consoleErrors.push(m.text()); });
  const shot = async (name, full = true) => { await page.screenshot({ path: path.join(SHOTS, name), fullPage: full }); log(`screenshot ${name}`); };
  const noOverflow = async (what) => {
    const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(w[0] <= w[1], `${what} runs off the screen: ${w[0]} px wide in a ${w[1]} px window`);
  };
  const login = async (token) => {
    if (await page.locator('#logout').isVisible()) await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#token', token);
    await page.click('#login-form button');
    await page.waitForSelector('#nav:not([hidden])');
  };
  // The actions the page offers on the deployment shown, checked against
  // the rules: none missing, none extra.
  const checkActions = async (user, id) => {
    await page.waitForSelector('#actions');
    const d = await api(`/api/v1/deployments/${encodeURIComponent(id)}`);
    await page.waitForFunction(() => document.querySelector('#actions button, #no-actions'));
    const shown = new Set(await page.locator('#actions button.action').evaluateAll((bs) => bs.map((b) => b.dataset.action)));
    const allowed = allowedActions(user, people[user] ? people[user].roles : { '*': ['admin'] }, d);
    for (const a of shown) check(allowed.has(a), `${user} is offered "${a}" on ${id} (${d.state}/${d.phase}), which the role does not allow`);
    for (const a of allowed) check(shown.has(a) || a === 'rollback', `${user} is not offered "${a}" on ${id} (${d.state}/${d.phase})`);
    return shown;
  };
  const click = async (action, reason) => {
    await page.click(`#actions button[data-action="${action}"]`);
    await page.waitForSelector('#confirm[open]');
    if (reason) await page.fill('#confirm-comment', reason);
    await page.click('#confirm-ok');
    await page.waitForFunction(() => !document.querySelector('#confirm[open]'));
    await page.waitForFunction((a) => (document.querySelector('#action-message') || {}).textContent?.includes('done') ||
      (document.querySelector('#action-message') || {}).textContent?.includes('refused'), action);
    const msg = await page.textContent('#action-message');
    check(msg.includes('done'), `${action}: ${msg}`);
  };
  const stateIs = (s) => page.waitForFunction((want) => (document.querySelector('#dep-state') || {}).textContent === want, s, { timeout: 90000 });

  step = 'login';
  await page.goto(base + '/');
  await page.waitForSelector('#login:not([hidden])');
  check(!(await page.locator('#nav').isVisible()) && !(await page.locator('#logout').isVisible()), 'the login page shows the nav bar or "Log out"');
  await page.fill('#token', 'ramp_not_a_token');
  await page.click('#login-form button');
  await page.waitForFunction(() => document.querySelector('#login-message').textContent.includes('refused'));
  check(!(await page.locator('#nav').isVisible()), 'the nav bar appeared after a refused token');
  await shot('01-login-refused.png', false);
  await login(rootToken);

  step = 'matrix';
  await page.waitForSelector('#matrix td[data-env="prod"]');
  const cell = await page.textContent('#matrix td[data-env="prod"]');
  check(cell.includes('1.0.0') && cell.includes('succeeded'), `prod cell shows 1.0.0 succeeded: ${cell}`);
  await shot('02-services.png');

  // Deployments start from the page: the form offers exactly the
  // environments where the user holds deployer (none: no form).
  const deployForm = async (user) => {
    await page.goto(base + '/#/');
    // The page drawn for this user (the previous one stays until then).
    await page.waitForSelector(`#deploy-box[data-ready="1"][data-user="${user}"]`, { state: 'attached' });
    if (!(await page.locator('#deploy-form').count())) return null;
    return page.locator('#deploy-env option').allTextContents();
  };
  const deployFromPage = async (version) => {
    check((await deployForm('dave')) !== null, 'no deploy form');
    await page.selectOption('#deploy-service', 'crawler');
    await page.waitForFunction((v) => [...document.querySelectorAll('#deploy-version option')].some((o) => o.value === v), version);
    await page.selectOption('#deploy-version', version);
    await page.selectOption('#deploy-env', 'prod');
    await page.click('#deploy-submit');
    await page.waitForSelector('#confirm[open]');
    check(!(await page.locator('#confirm-comment').isVisible()), 'the deploy confirmation asks for a reason nothing records');
    check((await page.textContent('#confirm-question')).includes(`crawler ${version} to prod`), 'the confirmation names what is deployed where');
    await page.click('#confirm-ok');
    await page.waitForFunction(() => /^#\/deployment\/d-/.test(location.hash), null, { timeout: 15000 });
    return decodeURIComponent(await page.evaluate(() => location.hash.slice('#/deployment/'.length)));
  };

  step = 'who may deploy from the page';
  const adminEnvs = await deployForm('root');
  check(JSON.stringify(adminEnvs) === JSON.stringify(['prod', 'dr']), `the admin is offered ${JSON.stringify(adminEnvs)}, not every environment in pipeline order`);
  await login(people.vera.token);
  check((await deployForm('vera')) === null, 'a viewer is offered the deploy form');
  await login(people.bob.token);
  check((await deployForm('bob')) === null, 'an approver is offered the deploy form');
  await login(people.dave.token);
  const daveEnvs = await deployForm('dave');
  check(JSON.stringify(daveEnvs) === JSON.stringify(['prod']), `a deployer in prod is offered ${JSON.stringify(daveEnvs)}, not just prod`);

  step = 'canary started from the page waits at its pause';
  await page.selectOption('#deploy-version', '2.0.0');
  await shot('03a-deploy-form.png');
  const good = await deployFromPage('2.0.0');
  log(`canary ${good} started from the page by dave`);
  await page.waitForSelector('#dep-state');
  await login(people.vera.token);
  await page.goto(`${base}/#/deployment/${good}`);
  await stateIs('paused');
  check((await checkActions('vera', good)).size === 0, 'a viewer is offered actions');
  check((await page.textContent('#no-actions')).includes('No action'), 'the viewer is told no action is open');
  check((await page.textContent('#steps .current')).includes('pause'), 'the current step is the pause');
  await shot('03-viewer-paused-canary.png');

  step = 'deployer resumes from the page';
  await login(people.dave.token);
  await page.goto(`${base}/#/deployment/${good}`);
  await stateIs('paused');
  const atPause = await checkActions('dave', good);
  check(atPause.has('resume') && atPause.has('abort') && atPause.has('promote-now') && !atPause.has('pause'), `deployer at the pause: ${[...atPause]}`);
  await page.click('#actions button[data-action="resume"]');
  await page.waitForSelector('#confirm[open]');
  await page.fill('#confirm-comment', 'release notes checked');
  await shot('04-confirm-resume.png', false);
  await page.click('#confirm-ok');
  await page.waitForFunction(() => (document.querySelector('#action-message') || {}).textContent?.includes('done'));
  // No traffic yet: the judge looks and waits for requests, so the analysis
  // stays open while dave pauses it.
  await page.waitForFunction(() => (document.querySelector('#dep-phase') || {}).textContent === 'canary_analysis', null, { timeout: 30000 });
  await page.waitForFunction(() => /look [1-9]/.test((document.querySelector('#judge') || {}).textContent || ''), null, { timeout: 20000 });

  step = 'deployer pauses the analysis and resumes it';
  await checkActions('dave', good);
  await click('pause', 'a closer look at latency');
  await stateIs('paused');
  await checkActions('dave', good);
  const judge = await page.textContent('#judge');
  check(/canary .*of .*vs baseline/.test(judge) && /evidence to (fail|pass)/.test(judge) && /decides by/.test(judge) &&
    /\d+ canary requests seen/.test(judge),
    `the judge's running counts, evidence and deadline are shown: ${judge}`);
  const load = traffic(entry, 4);
  await page.waitForFunction(() => document.querySelectorAll('#chart-requests path.series').length >= 2, null, { timeout: 15000 });
  await until('requests on both fleets in the charts', async () =>
    (await page.locator('#fleet-now tbody tr').allTextContents()).every((t) => !/\b0\s*$/.test(t.trim())), 15000);
  await shot('05-canary-paused-in-analysis.png');
  await click('resume', 'latency is fine');
  await page.waitForFunction(() => ['running', 'succeeded'].includes((document.querySelector('#dep-state') || {}).textContent), null, { timeout: 30000 });
  await shot('06-canary-resumed-under-load.png');
  const ticks = await page.locator('#chart-errors text.tick').allTextContents();
  check(ticks.every((t) => !/e-/.test(t)) && ticks.some((t) => t.endsWith('%')), `the error axis reads in plain %: ${ticks}`);
  await stateIs('succeeded');
  log(`requests sent: ${await load.stop()}`);
  check(!(await page.textContent('#live')).includes('following live'), 'a finished deployment still shows "following live"');
  const tl = await page.textContent('#timeline');
  check(tl.includes('dave chose resume: “release notes checked”') && tl.includes('dave chose pause: “a closer look at latency”'),
    `the timeline records who acted and why: ${tl.slice(0, 600)}`);
  await shot('07-canary-succeeded.png');

  step = 'deployer rolls back from the page';
  const after = await checkActions('dave', good);
  check(after.has('rollback') && after.size === 1, `a finished canary offers only a rollback: ${[...after]}`);
  await click('rollback', 'customers report a bug in 2.0.0');
  await until('the rollback to 1.0.0', async () => {
    const s = (await api('/api/v1/status')).find((x) => x.env === 'prod');
    return s.deployment.kind === 'rollback' && s.deployment.state !== 'running' && s.deployment.state;
  }, 60000);
  const rb = (await api('/api/v1/status')).find((x) => x.env === 'prod').deployment;
  check(rb.version === '1.0.0', `the rollback redeployed 1.0.0: ${JSON.stringify(rb)}`);
  await page.goto(`${base}/#/deployment/${good}`);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'rolled back');
  check(!(await page.textContent('#live')).includes('live'), 'a rolled-back deployment is shown live');
  await shot('08-rolled-back-by-a-person.png');

  step = 'bad canary';
  const bad = await deployFromPage('3.0.0');
  log(`bad canary ${bad} started from the page by dave`);
  await page.goto(`${base}/#/deployment/${bad}`);
  await stateIs('paused');
  const load2 = traffic(entry, 4);
  // The judge may decide within one sampling interval of the resume: the
  // chart's canary line is drawn from the points taken while its 20% carries
  // the load at the pause, so the person resumes once one is there.
  await until('a point of the canary\'s error rate in the series at its pause', async () => {
    const pts = (await api(`/api/v1/deployments/${bad}/series`)).points || [];
    return pts.some((p) => Object.values(p.fleets || {}).some((f) => f.role === 'canary' && f.error_rate != null));
  });
  await click('resume', 'go');
  await stateIs('rolled back');
  await load2.stop();
  const reason = await page.textContent('#dep-reason');
  check(/error rate/.test(reason), `the rollback's reason names the error rate: ${reason}`);
  const judgeBad = await page.textContent('#judge');
  check(judgeBad.includes('fail'), 'the failing verdict is shown');
  check(!/\d\.\d{6,}e[+-]/.test(judgeBad), `the judge's numbers are written for people: ${judgeBad.slice(0, 600)}`);
  await page.waitForFunction(() => document.querySelectorAll('#chart-errors path.series').length >= 2, null, { timeout: 10000 });
  check(await page.locator('#chart-errors .mark.verdict.fail').count() >= 1, 'the failing verdict is marked on the chart');
  check(await page.locator('#chart-weights .mark.step').count() >= 2, 'step boundaries are marked');
  check(!(await page.textContent('#live')).includes('following live'), 'a rolled-back deployment is shown "live"');
  check((await checkActions('dave', bad)).size === 0, 'a rolled-back canary offers actions');
  await shot('09-bad-canary-rolled-back-by-the-judge.png');

  step = 'services after';
  await page.goto(base + '/#/');
  await page.waitForFunction(() => (document.querySelector('#matrix td[data-env="prod"]') || {}).textContent?.includes('rolled back'));
  await shot('10-services-after.png');

  step = 'approval from the page';
  // What succeeded in prod last (the rollback's 1.0.0 deployment, or 2.0.0
  // before it) is promoted into dr, which needs bob.
  const promo = ramp(['promote', 'crawler', '--to', 'dr', '--detach'], { allowFail: true });
  check(promo.status === 0, `promote --detach: ${promo.status} ${promo.stdout} ${promo.stderr}`);
  const drId = promo.stdout.trim();
  await login(people.vera.token);
  await page.goto(`${base}/#/deployment/${drId}`);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'awaiting approval');
  check((await checkActions('vera', drId)).size === 0, 'a viewer is offered an approval');
  await login(people.bob.token);
  await page.goto(`${base}/#/approvals`);
  await page.waitForSelector('#approvals button.approve');
  await shot('11-approvals-approver.png');
  await page.goto(`${base}/#/deployment/${drId}`);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'awaiting approval');
  const forBob = await checkActions('bob', drId);
  check(forBob.has('approve') && forBob.has('reject') && forBob.size === 2, `the approver is offered approve and reject: ${[...forBob]}`);
  await click('approve', 'prod has run it without errors');
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'succeeded', null, { timeout: 60000 });
  await shot('12-approved-and-deployed-in-dr.png');
  await login(rootToken);
  await page.goto(`${base}/#/deployment/${drId}`);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'succeeded');
  await checkActions('root', drId);

  step = 'audit';
  await page.goto(base + '/#/audit');
  await page.waitForSelector('#audit-verify');
  check((await page.textContent('#audit-verify')).includes('verified'), 'the audit chain is shown verified');
  const rows = await page.locator('#audit tbody tr').count();
  check(rows === 50, `the audit trail is paged by 50: ${rows} rows`);
  check(await page.locator('#audit-older').count() === 1, 'there is an older page');
  await noOverflow('the audit page');
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  check(height < 9000, `the audit page is ${height} px tall`);
  await shot('13-audit.png');
  await page.click('#audit-older');
  await page.waitForSelector('#audit-newest');
  await page.selectOption('#audit-filters select[name="kind"]', 'deployment.');
  await page.fill('#audit-filters input[name="actor"]', 'dave');
  await page.click('#audit-filters button[type="submit"]');
  // The filtered page is rendered when its form carries the filter (the
  // older page's rows stay on screen until then).
  await page.waitForFunction(() => location.hash.includes('actor=dave'));
  await page.waitForFunction(() => (document.querySelector('#audit-filters input[name="actor"]') || {}).getAttribute?.('value') === 'dave' &&
    !document.querySelector('#audit-newest'));
  check(await page.locator('#audit tbody tr').count() > 0, 'the filter by who shows nothing');
  const filtered = await page.locator('#audit tbody tr').allTextContents();
  check(filtered.every((t) => t.includes('dave')), `the filter by who shows only dave: ${filtered.length} rows, ${filtered.filter((t) => !t.includes('dave')).slice(0, 3).join(' | ').slice(0, 600)}`);
  const text = filtered.join('\n');
  for (const why of ['release notes checked', 'a closer look at latency', 'latency is fine', 'customers report a bug in 2.0.0']) {
    check(text.includes(why), `the reason "${why}" is in the audit trail: ${text.slice(0, 800)}`);
  }
  await page.locator('#audit tbody tr details summary').first().click();
  await noOverflow('the audit page with an event opened');
  await shot('14-audit-filtered.png');

  step = 'deployments';
  await page.goto(base + '/#/deployments');
  await page.waitForSelector('#deployments tbody tr');
  await noOverflow('the deployments page');
  await shot('15-deployments.png');

  step = 'stats';
  await page.goto(base + '/#/stats');
  await page.waitForSelector('#stats tbody tr');
  const stats = await page.textContent('#stats');
  check(stats.includes('crawler') && stats.includes('prod'), `the DORA table has crawler/prod: ${stats}`);
  await shot('16-delivery.png');

  step = 'expired token';
  await page.evaluate(() => sessionStorage.setItem('ramp.token', 'ramp_revoked'));
  await page.goto(base + '/#/deployments');
  await page.reload();
  await page.waitForSelector('#login:not([hidden])');
  check((await page.textContent('#login-message')).includes('refused'), 'a refused token sends the page back to login with a message');
  check(!(await page.locator('#nav').isVisible()), 'the login page shows the nav bar');
  await shot('17-back-to-login.png', false);

  watching = false;
  await watcher;
  check(!overrun, `a step counter ran over: ${overrun}`);
  check(consoleErrors.length === 0, `no script errors in the page: ${consoleErrors.join('; ')}`);
  log('dashboard test passed');
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (serve && fs.existsSync(WORK)) ramp(['down'], { allowFail: true });
  if (serve && serve.exitCode === null) {
    const ended = new Promise((r) => serve.once('exit', r));
    const t = setTimeout(() => serve.kill('SIGKILL'), 20000);
    if (serve.exitCode === null) serve.kill('SIGTERM');
    await ended;
    clearTimeout(t);
  }
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(`FAILED at ${step}: ${e.stack || e}`);
  code = 1;
  // What the page showed: its address, its text and a screenshot.
  if (page) {
    try {
      console.error(`page ${page.url()}: ${((await page.textContent('#view', { timeout: 2000 })) || '').replace(/\s+/g, ' ').slice(0, 600)}`);
      await page.screenshot({ path: path.join(SHOTS, 'failed.png'), fullPage: true });
      console.error(`screenshot ${path.join(SHOTS, 'failed.png')}`);
    } catch (err) { console.error(`no page to show: ${err}`); }
  }
}
await cleanup();
process.exit(code);
