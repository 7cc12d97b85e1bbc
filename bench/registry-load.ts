/**
 * The registry under mixed load: 50 readers (30% of their requests full-text searches) and 10 writers creating
 * incidents, for 20 s, against a server in another process over loopback, with the real history loaded (STOP + IODA,
 * about 2,700 incidents). Every client sends its next request as soon as the last one is answered.
 *
 * Runs, in one go:
 *   - PGlite, baseline: the behaviour before issue #8 point 7 (`STACKWATCH_BENCH_BASELINE=1`: one first-come queue
 *     for the single connection, search by recomputing each row's text vector, every write dropping every cached result),
 *   - PGlite, as shipped: writes go before waiting reads, search served by the stored text vector and its GIN index,
 *     a new incident drops only the cached results it can change (src/incidents/store.ts),
 *   - PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL, a user that may create databases), as shipped.
 *
 *   npx tsx bench/registry-load.ts            # LOAD_SECONDS=20 READERS=50 WRITERS=10 SEARCH_SHARE=0.3
 *   RUNS=shipped LOAD_SECONDS=10 npx tsx bench/registry-load.ts   # one run while iterating (baseline, shipped, postgres)
 * Targets (issue #8): PGlite write p99 < 1 s and read p99 < 1 s; PostgreSQL read p99 < 300 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDb } from '../src/platform/db.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const READERS = Number(process.env.READERS ?? 50);
const WRITERS = Number(process.env.WRITERS ?? 10);
const SEARCH_SHARE = Number(process.env.SEARCH_SHARE ?? 0.3);
/** Which runs (while iterating): baseline, shipped, postgres; all three by default. */
const RUNS = new Set((process.env.RUNS ?? 'baseline,shipped,postgres').split(','));
const ADMIN = 'admin@example.org';
const PW = 'benchmark password 1234';
const SELF = fileURLToPath(import.meta.url);

// Words an analyst searches the shipped history for (all occur in it).
const WORDS = ['election', 'protest', 'exam', 'Tigray', 'Kashmir', 'mobile', 'Facebook', 'WhatsApp', 'internet', 'Iran', 'Oromia', 'curfew', 'regional', 'national', 'Twitter', 'Telegram', 'opposition', 'military'];
const COUNTRIES = ['IN', 'IR', 'ET', 'MM', 'PK', 'IQ', 'SD', 'CM', 'TR', 'RU', 'VE', 'SY', 'BD', 'DZ', 'EG'];

// ---------------------------------------------------------------- server process
if (process.argv[2] === 'serve') {
  const { startServer } = await import('../src/server.js');
  const srv = await startServer({ quiet: true, port: 0, dataDir: process.argv[3], databaseUrl: process.env.DATABASE_URL, adminEmail: ADMIN, adminPassword: PW } as never);
  process.stdout.write(`READY ${srv.url} ${srv.history.ms}\n`);
  process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
  await new Promise(() => undefined);
}

interface Running {
  url: string;
  child: ChildProcess;
  historyMs: number;
}

function startServerProcess(dataDir: string, env: Record<string, string>): Promise<Running> {
  // SERVER_NODE_ARGS: options for the server's Node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it).
  const child = spawn(process.execPath, [...(process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', SELF, 'serve', dataDir], {
    env: { ...process.env, STACKWATCH_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /READY (\S+) (\d+)/.exec(out);
      if (m) res({ url: m[1]!, child, historyMs: Number(m[2]) });
    });
    child.on('exit', (code) => rej(new Error(`server exited with ${code}`)));
  });
}

async function stopServerProcess(r: Running) {
  r.child.removeAllListeners('exit');
  await new Promise<void>((res) => {
    r.child.once('exit', () => res());
    r.child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------- load generator
const agent = new Agent({ keepAlive: true, maxSockets: READERS + WRITERS + 5 });

function call(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string; ms: number; setCookie?: string[] }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const req = request(url, { method, agent, headers: { ...headers, ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (text += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, text, ms: performance.now() - t0, setCookie: r.headers['set-cookie'] }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

const pick = <T>(a: readonly T[]) => a[Math.floor(Math.random() * a.length)]!;
const q = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN);

function noteError(f: Figures, what: string, r: { status: number; text: string }) {
  f.errors++;
  if (f.errors <= 3) console.log(`  error: ${what} → ${r.status} ${r.text.slice(0, 200)}`);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

interface Figures {
  label: string;
  /** The server's CPU seconds during the load, and the load's wall seconds: how much of a core it got, and needed per request. */
  serverCpuS: number;
  wallS: number;
  reads: number[];
  searches: number[];
  writes: number[];
  errors: number;
  longestWriteGapMs: number;
  firstWriteMs: number;
}

async function load(label: string, base: string, pid?: number): Promise<Figures> {
  const login = await call(`${base}/api/auth/login`, 'POST', {}, JSON.stringify({ email: ADMIN, password: PW }));
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const cookie = (login.setCookie ?? [])[0]!.split(';')[0]!;
  const csrf = (JSON.parse(login.text) as { csrfToken: string }).csrfToken;
  const ids = (JSON.parse((await call(`${base}/api/incidents?pageSize=100`, 'GET', { cookie })).text) as { items: { id: string }[] }).items.map((i) => i.id);

  const f: Figures = { label, serverCpuS: NaN, wallS: NaN, reads: [], searches: [], writes: [], errors: 0, longestWriteGapMs: 0, firstWriteMs: NaN };
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  let lastWriteDone = t0;
  const readPath = () => {
    const r = Math.random();
    if (r < 0.3) return `/api/incidents?page=${1 + Math.floor(Math.random() * 20)}`;
    if (r < 0.5) return `/api/incidents?country=${pick(COUNTRIES)}&type=shutdown`;
    if (r < 0.7) { const y = 2016 + Math.floor(Math.random() * 7); return `/api/incidents?from=${y}-01-01&to=${y + Math.floor(Math.random() * (2023 - y))}-12-31`; }
    if (r < 0.9) return `/api/incidents/${pick(ids)}`;
    return `/api/stats/countries?from=${2016 + Math.floor(Math.random() * 7)}-01-01&to=2022-12-31`;
  };
  const reader = async () => {
    while (performance.now() < end) {
      const search = Math.random() < SEARCH_SHARE;
      const path = search ? `/api/incidents?q=${encodeURIComponent(pick(WORDS))}${Math.random() < 0.5 ? `&country=${pick(COUNTRIES)}` : ''}` : readPath();
      const r = await call(base + path, 'GET', { cookie }).catch((e: Error) => ({ status: 0, text: e.message, ms: NaN }));
      if (r.status !== 200) noteError(f, `GET ${path}`, r);
      if (!Number.isNaN(r.ms)) (search ? f.searches : f.reads).push(r.ms);
    }
  };
  let n = 0;
  const writer = async () => {
    while (performance.now() < end) {
      const year = 2016 + Math.floor(Math.random() * 7);
      const body = JSON.stringify({
        type: 'shutdown.regional', title: `Load test shutdown ${++n} (election protest)`, country: pick(COUNTRIES), area: 'Load region',
        startAt: `${year}-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`, tlp: 'TLP:GREEN', status: 'draft', summary: 'Written by bench/registry-load.ts',
      });
      const r = await call(`${base}/api/incidents`, 'POST', { cookie, 'x-csrf-token': csrf }, body).catch((e: Error) => ({ status: 0, text: e.message, ms: NaN }));
      const now = performance.now();
      if (r.status !== 201) noteError(f, 'POST /api/incidents', r);
      else {
        if (Number.isNaN(f.firstWriteMs)) f.firstWriteMs = now - t0;
        f.longestWriteGapMs = Math.max(f.longestWriteGapMs, now - lastWriteDone);
        lastWriteDone = now;
      }
      if (!Number.isNaN(r.ms)) f.writes.push(r.ms);
    }
  };
  await Promise.all([...Array.from({ length: READERS }, reader), ...Array.from({ length: WRITERS }, writer)]);
  f.longestWriteGapMs = Math.max(f.longestWriteGapMs, performance.now() - lastWriteDone);
  f.serverCpuS = cpuSeconds(pid) - cpu0;
  f.wallS = (performance.now() - t0) / 1000;
  return f;
}

function row(f: Figures): string {
  const s = (a: number[]) => [...a].sort((x, y) => x - y);
  const all = s([...f.reads, ...f.searches]);
  const sr = s(f.searches);
  const w = s(f.writes);
  const ms = (v: number) => (Number.isNaN(v) ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)}s` : `${Math.round(v)}`);
  return [
    f.label.padEnd(26),
    String(all.length).padStart(6),
    ms(q(all, 0.5)).padStart(7),
    ms(q(all, 0.99)).padStart(8),
    ms(q(sr, 0.99)).padStart(9),
    String(w.length).padStart(6),
    ms(q(w, 0.5)).padStart(7),
    ms(q(w, 0.99)).padStart(8),
    ms(w[w.length - 1] ?? NaN).padStart(8),
    ms(f.longestWriteGapMs).padStart(8),
    String(f.errors).padStart(6),
    `${Math.round((100 * f.serverCpuS) / f.wallS)}%`.padStart(7),
    ((1000 * f.serverCpuS) / (all.length + w.length)).toFixed(1).padStart(8),
  ].join(' ');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sw-load-'));
  const results: Figures[] = [];
  try {
    console.log(`registry under load: ${READERS} readers (${Math.round(SEARCH_SHARE * 100)}% searches), ${WRITERS} writers, ${SECONDS} s each; ${cpus().length} CPUs`);
    // The real history, loaded once, then copied for each embedded run.
    const template = join(dir, 'template');
    const first = await startServerProcess(template, {});
    console.log(`history loaded on first start in ${(first.historyMs / 1000).toFixed(1)} s`);
    await stopServerProcess(first);
    for (const [label, env] of ([
      ['pglite, baseline (before)', { STACKWATCH_BENCH_BASELINE: '1' }],
      ['pglite, as shipped', {}],
    ] as [string, Record<string, string>][]).filter(([l]) => RUNS.has(l.includes('baseline') ? 'baseline' : 'shipped'))) {
      const copy = join(dir, label.replace(/\W+/g, '-'));
      cpSync(template, copy, { recursive: true, filter: (src) => !/(cli\.sock|stackwatch\.lock|stackwatch-cli\.json)$/.test(src) });
      if (env.STACKWATCH_BENCH_BASELINE) {
        // The schema before migration 0020 too: its expression index served the per-row vector.
        const db = await openDb({ dataDir: copy });
        await db.exec("create index if not exists incidents_search_idx on incidents using gin (to_tsvector('simple', search_text)); analyze incidents");
        await db.close();
      }
      const srv = await startServerProcess(copy, env);
      try {
        results.push(await load(label, srv.url, srv.child.pid));
      } finally {
        await stopServerProcess(srv);
      }
      console.log(`  done: ${label}`);
    }
    const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
    if (pgUrl && RUNS.has('postgres')) {
      const name = `sw_load_${process.pid}`;
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`create database ${name}`);
      const u = new URL(pgUrl);
      u.pathname = `/${name}`;
      try {
        const srv = await startServerProcess(join(dir, 'pg-unused'), { DATABASE_URL: u.toString() });
        console.log(`  PostgreSQL: history loaded in ${(srv.historyMs / 1000).toFixed(1)} s`);
        try {
          results.push(await load('postgresql, as shipped', srv.url, srv.child.pid));
        } finally {
          await stopServerProcess(srv);
        }
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    } else console.log('(no BENCH_DATABASE_URL or TEST_DATABASE_URL: PostgreSQL skipped)');
  } finally {
    agent.destroy();
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
  console.log('\nlatencies in ms (p = percentile over all requests of the run); "write gap" = longest time with no write completing;');
  console.log('"srv cpu" = the server process\'s CPU time over the run\'s wall time (100% = one core; less: the machine did not give it more),');
  console.log('"cpu/req" = its CPU ms per request answered (with 60 clients each waiting for its answer, mean latency ≈ 60 × cpu/req ÷ srv cpu)');
  console.log(`${'run'.padEnd(26)} ${'reads'.padStart(6)} ${'p50'.padStart(7)} ${'p99'.padStart(8)} ${'search99'.padStart(9)} ${'writes'.padStart(6)} ${'w p50'.padStart(7)} ${'w p99'.padStart(8)} ${'w max'.padStart(8)} ${'w gap'.padStart(8)} ${'errors'.padStart(6)} ${'srv cpu'.padStart(7)} ${'cpu/req'.padStart(8)}`);
  for (const f of results) console.log(row(f));
  console.log('\ntargets: PGlite write p99 < 1000 and read p99 < 1000; PostgreSQL read p99 < 300');
}

if (process.argv[2] !== 'serve') await main();
