// dashboard.test.mjs — the dashboard end to end in headless Chromium.
//
// Starts `ramp serve` on a fresh world (tests/dashboard/ramp.yaml: a canary
// that waits at a pause until resumed), logs in through the page (a wrong
// token first), sees the services matrix, watches a canary wait at its pause
// and, after `ramp resume`, progress to success, watches a bad canary rolled
// back with its reason, reads the audit trail verified and the DORA figures,
// tries the approvals page, and is sent back to login with a bad token.
// Screenshots go to $RAMP_DASHBOARD_SHOTS (default ./screenshots). Every
// process it starts is stopped at the end (tests/isolated checks).
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

function ramp(args, { allowFail = false } = {}) {
  const r = spawnSync(RAMP, ['--home', HOME, ...args], { cwd: WORK, encoding: 'utf8', timeout: 120000 });
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

// Closed-loop GET traffic on the entry point while `running`.
function traffic(url, clients) {
  let running = true, total = 0;
  const loops = Array.from({ length: clients }, async () => {
    const deadline = Date.now() + 120000;
    while (running && Date.now() < deadline) {
      try { const r = await fetch(url + '/'); await r.arrayBuffer(); total++; } catch (e) { await sleep(20); }
    }
  });
  return { stop: async () => { running = false; await Promise.all(loops); return total; } };
}

let serve, browser;
async function main() {
  check(RAMP && CRAWLER, 'RAMP_BIN and RAMP_CRAWLER_BIN must be set');
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
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
  const token = fs.readFileSync(path.join(HOME, 'admin.token'), 'utf8').trim();
  const api = async (p) => (await fetch(base + p, { headers: { Authorization: 'Bearer ' + token } })).json();
  log(`controller at ${base}`);
  ramp(['config', 'push', '-m', 'the dashboard world']);  // deployments run with the config of record
  ramp(['deploy', 'crawler', '--env', 'prod', '--version', '1.0.0', '--strategy', 'bluegreen']);
  const entry = (await api('/api/v1/status')).find((s) => s.env === 'prod').entrypoint;
  check(entry, 'no entry point in the status');

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  step = 'login';
  await page.goto(base + '/');
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#token', 'ramp_not_a_token');
  await page.click('#login-form button');
  await page.waitForFunction(() => document.querySelector('#login-message').textContent.includes('refused'));
  await page.screenshot({ path: path.join(SHOTS, '01-login-refused.png') });
  await page.fill('#token', token);
  await page.click('#login-form button');

  step = 'matrix';
  await page.waitForSelector('#matrix td[data-env="prod"]');
  const cell = await page.textContent('#matrix td[data-env="prod"]');
  check(cell.includes('1.0.0') && cell.includes('succeeded'), `prod cell shows 1.0.0 succeeded: ${cell}`);
  await page.screenshot({ path: path.join(SHOTS, '02-matrix.png'), fullPage: true });

  step = 'canary waits';
  const id = ramp(['deploy', 'crawler', '--env', 'prod', '--version', '2.0.0', '--detach']).stdout.match(/d-[0-9a-z-]+/)[0];
  log(`canary ${id}`);
  await page.goto(`${base}/#/deployment/${id}`);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'paused', null, { timeout: 30000 });
  const current = await page.textContent('#steps .current');
  check(current.includes('pause'), `the current step is the pause: ${current}`);
  // The page updates live: the chart may get its second line a moment after the state.
  await page.waitForFunction(() => document.querySelectorAll('#chart-weights path').length >= 2, null, { timeout: 10000 })
    .catch(() => {});
  check(await page.locator('#chart-weights path').count() >= 2, 'the weights chart has a line per fleet');
  await page.screenshot({ path: path.join(SHOTS, '03-canary-paused.png'), fullPage: true });

  step = 'canary progresses';
  const load = traffic(entry, 4);
  ramp(['resume', 'crawler', '--env', 'prod', '--detach']);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'succeeded', null, { timeout: 60000 });
  log(`requests sent: ${await load.stop()}`);
  const verdicts = await page.textContent('#verdicts');
  check(verdicts.includes('pass'), `a passing verdict with its numbers: ${verdicts}`);
  const timeline = await page.textContent('#timeline');
  check(timeline.includes('deployment.control') && timeline.includes('deployment.finished'), 'the timeline shows the resume and the end');
  await page.screenshot({ path: path.join(SHOTS, '04-canary-succeeded.png'), fullPage: true });

  step = 'bad canary';
  const bad = ramp(['deploy', 'crawler', '--env', 'prod', '--version', '3.0.0', '--detach']).stdout.match(/d-[0-9a-z-]+/)[0];
  await page.goto(`${base}/#/deployment/${bad}`);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'paused', null, { timeout: 30000 });
  const load2 = traffic(entry, 4);
  ramp(['resume', 'crawler', '--env', 'prod', '--detach']);
  await page.waitForFunction(() => (document.querySelector('#dep-state') || {}).textContent === 'rolled_back', null, { timeout: 60000 });
  await load2.stop();
  const reason = await page.textContent('#dep-reason');
  check(/error rate/.test(reason), `the rollback's reason names the error rate: ${reason}`);
  check((await page.textContent('#verdicts')).includes('fail'), 'the failing verdict is shown');
  check(await page.locator('#chart-errors circle').count() >= 2, 'canary and baseline error rates are charted');
  await page.screenshot({ path: path.join(SHOTS, '05-canary-rolled-back.png'), fullPage: true });

  step = 'matrix after';
  await page.goto(base + '/#/');
  await page.waitForFunction(() => (document.querySelector('#matrix td[data-env="prod"]') || {}).textContent?.includes('rolled_back'));
  await page.screenshot({ path: path.join(SHOTS, '06-matrix-after.png'), fullPage: true });

  step = 'approvals';
  // The admin (root) asks to promote what succeeded in prod (2.0.0) to dr,
  // which needs one approver other than the requester: bob.
  ramp(['user', 'add', 'bob', '--role', 'approver@dr', '--role', 'viewer']);
  const bobToken = ramp(['token', 'create', '--user', 'bob']).stdout.trim().split('\n').pop().trim();
  const promo = ramp(['promote', 'crawler', '--to', 'dr', '--detach'], { allowFail: true });
  check(promo.status === 0 || promo.status === 4, `promote --detach: ${promo.status} ${promo.stdout} ${promo.stderr}`);
  await page.goto(base + '/#/approvals');
  await page.waitForSelector('#approvals tbody tr');
  check(await page.locator('#approvals button.approve:disabled').count() === 1, 'the requester cannot approve their own request');
  await page.screenshot({ path: path.join(SHOTS, '07-approvals-requester.png'), fullPage: true });
  await page.click('#logout');
  await page.fill('#token', bobToken);
  await page.click('#login-form button');
  await page.waitForSelector('#nav:not([hidden])');
  await page.goto(base + '/#/approvals');
  await page.waitForSelector('#approvals button.approve:not([disabled])');
  await page.fill('#approvals .comment', 'looks good');
  await page.click('#approvals button.approve');
  await page.waitForFunction(() => (document.querySelector('#approval-message') || {}).textContent?.startsWith('Approved'));
  await page.screenshot({ path: path.join(SHOTS, '07-approved.png'), fullPage: true });
  await until('the promotion to dr to succeed', async () => {
    const s = (await api('/api/v1/status')).find((x) => x.env === 'dr');
    return s && s.deployment.state === 'succeeded' && s.deployment.version === '2.0.0';
  }, 60000);
  await page.click('#logout');
  await page.fill('#token', token);
  await page.click('#login-form button');
  await page.waitForSelector('#nav:not([hidden])');

  step = 'audit';
  await page.goto(base + '/#/audit');
  await page.waitForSelector('#audit-verify');
  check((await page.textContent('#audit-verify')).includes('verified'), 'the audit chain is shown verified');
  check(await page.locator('#audit tbody tr').count() > 10, 'the audit trail lists events');
  await page.screenshot({ path: path.join(SHOTS, '08-audit.png'), fullPage: true });

  step = 'stats';
  await page.goto(base + '/#/stats');
  await page.waitForSelector('#stats tbody tr');
  const stats = await page.textContent('#stats');
  check(stats.includes('crawler') && stats.includes('prod'), `the DORA table has crawler/prod: ${stats}`);
  await page.screenshot({ path: path.join(SHOTS, '09-stats.png'), fullPage: true });

  step = 'expired token';
  await page.evaluate(() => sessionStorage.setItem('ramp.token', 'ramp_revoked'));
  await page.goto(base + '/#/deployments');
  await page.reload();
  await page.waitForSelector('#login:not([hidden])');
  check((await page.textContent('#login-message')).includes('refused'), 'a refused token sends the page back to login with a message');
  await page.screenshot({ path: path.join(SHOTS, '10-back-to-login.png') });
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
}
await cleanup();
process.exit(code);
