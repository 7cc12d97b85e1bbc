/**
 * Incident search under load: p50 / p99 latency of GET /api/incidents at 50 concurrent clients over 100,000
 * incidents, on the embedded PGlite and (when BENCH_DATABASE_URL or TEST_DATABASE_URL names a server) on PostgreSQL.
 * Baseline, measured in the same run: the same queries from one client at a time (no contention).
 * Also: first-start and later-start time of `stackwatch serve` with the real history, and peak memory.
 *
 *   npx tsx bench/incident-search.ts            # INCIDENTS=100000 CLIENTS=50 REQUESTS=2000 by default
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import pg from 'pg';
import { openDb, type Db } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { bootstrapAdmin } from '../src/platform/auth.js';

interface Target {
  url: string;
}
import { REPO_ROOT } from '../src/platform/config.js';

const N = Number(process.env.INCIDENTS ?? 100_000);
const CLIENTS = Number(process.env.CLIENTS ?? 50);
const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const PW = 'benchmark password 1234';

const COUNTRIES = ['IR', 'IN', 'ET', 'CM', 'TR', 'RU', 'MM', 'PK', 'SD', 'IQ', 'SY', 'VE', 'BD', 'EG', 'CN', 'VN', 'UG', 'TZ', 'ZW', 'BY', 'KZ', 'UZ', 'DZ', 'TG', 'GN', 'SN', 'ML', 'NG', 'KE', 'BR'];
const TYPES = ['shutdown.full', 'shutdown.regional', 'shutdown.mobile', 'throttling', 'blocking.website', 'blocking.service', 'takedown.content', 'account.suspension', 'threat.harassment', 'surveillance.spyware'];
const WORDS = ['election', 'protest', 'exam', 'curfew', 'journalist', 'broadband', 'mobile', 'Facebook', 'WhatsApp', 'Twitter', 'Telegram', 'blackout', 'court', 'ministry', 'operator', 'referendum', 'conflict', 'strike'];
const TLPS = ['TLP:CLEAR', 'TLP:CLEAR', 'TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT'];

/** Bulk-generates N incidents in the database with one INSERT … SELECT over generate_series (fast on both drivers). */
export async function seed(srv: { db: Db }) {
  const org = (await srv.db.query<{ id: string }>('select id from orgs limit 1')).rows[0]!.id;
  const arr = (a: string[]) => `array[${a.map((s) => `'${s}'`).join(',')}]`;
  const batch = 20_000;
  for (let off = 0; off < N; off += batch) {
    await srv.db.query(
      `insert into incidents (id, org_id, type, title, country, start_at, end_at, status, severity, tlp, summary, tags, origin, search_text)
       select gen_random_uuid(), $1, t.type, t.title, t.country, t.s, t.s + (g % 30) * interval '1 day', (array['draft','under_review','verified','disputed','closed'])[1 + g % 5],
         'medium', (${arr(TLPS)})[1 + (g * 7) % ${TLPS.length}], t.title, array[t.w1], 'bench', t.title || ' ' || t.country
       from generate_series($2::int, $3::int) g,
       lateral (select (${arr(TYPES)})[1 + g % ${TYPES.length}] as type,
                       (${arr(COUNTRIES)})[1 + (g * 13) % ${COUNTRIES.length}] as country,
                       timestamptz '2012-01-01' + ((g * 7919) % 5000) * interval '1 day' as s,
                       (${arr(WORDS)})[1 + (g * 31) % ${WORDS.length}] as w1,
                       (${arr(WORDS)})[1 + (g * 17) % ${WORDS.length}] as w2) x,
       lateral (select x.type, x.country, x.s, x.w1, initcap(replace(x.type, '.', ' ')) || ' during ' || x.w1 || ' and ' || x.w2 || ' #' || g as title) t`,
      [org, off + 1, Math.min(N, off + batch)],
    );
  }
  await srv.db.exec('vacuum analyze incidents'); // as autovacuum does after a bulk load
}

export const QUERIES = [
  '/api/incidents?page=1&pageSize=50',
  '/api/incidents?country=IR',
  '/api/incidents?country=IN&type=shutdown',
  '/api/incidents?type=shutdown.mobile&status=verified',
  '/api/incidents?q=election',
  '/api/incidents?q=protest%20whatsapp&country=ET',
  '/api/incidents?from=2019-11-01&to=2019-11-30',
  '/api/incidents?country=CM&from=2017-01-01&to=2017-12-31',
  '/api/incidents?tlp=TLP:GREEN&page=3',
  '/api/incidents?page=40&pageSize=50',
];

function get(url: string, cookie: string): Promise<{ ms: number; status: number }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const req = request(url, { headers: { cookie }, agent: false }, (r) => {
      r.resume();
      r.on('end', () => res({ ms: performance.now() - t0, status: r.statusCode ?? 0 }));
    });
    req.on('error', rej);
    req.end();
  });
}

function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** A query nobody asked before: a random country, type, period and page, so no cache can answer it. */
let distinctSeq = 0;
function distinctQuery(): string {
  const n = distinctSeq++;
  const c = COUNTRIES[n % COUNTRIES.length]!;
  const t = TYPES[(n * 7) % TYPES.length]!;
  const y = 2012 + (n % 13);
  const kinds = [
    `/api/incidents?country=${c}&page=${1 + (n % 7)}`,
    `/api/incidents?type=${t}&from=${y}-01-01&to=${y}-12-31&page=${1 + (n % 3)}`,
    `/api/incidents?q=${WORDS[n % WORDS.length]}&country=${c}`,
    `/api/incidents?country=${c}&type=${t.split('.')[0]}&status=verified&page=${1 + (n % 2)}`,
    `/api/incidents?from=${y}-0${1 + (n % 9)}-01&to=${y}-0${1 + (n % 9)}-28&page=${1 + (n % 4)}`,
  ];
  return kinds[n % kinds.length]! + `&pageSize=${20 + (n % 31)}`;
}

async function loadTest(srv: Target, cookie: string, clients: number, total: number, distinct = false) {
  const lat: number[] = [];
  const slow: [number, string][] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const path = distinct ? distinctQuery() : QUERIES[i % QUERIES.length]!;
        const r = await get(srv.url + path, cookie);
        if (process.env.BENCH_SLOW && clients === 1 && r.ms > 30) slow.push([r.ms, path]);
        if (r.status !== 200) errors++;
        lat.push(r.ms);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const [ms, path] of slow.sort((a, b) => b[0] - a[0]).slice(0, 8)) console.log(`    slow: ${ms.toFixed(0)} ms ${path}`);
  return { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), rps: total / secs, errors };
}

async function login(srv: Target): Promise<string> {
  const res = await fetch(`${srv.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.org', password: PW }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function freshPostgres(url: string): Promise<string> {
  const name = `sw_bench_${Date.now()}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Seeds the database, then serves it from the real `stackwatch serve` in a child process, so that the server has a
 * core of its own and the load generator (this process) does not steal its event loop — as with real clients.
 */
async function searchBench(label: string, opts: { dataDir?: string; databaseUrl?: string }) {
  const db = await openDb(opts);
  const t0 = performance.now();
  try {
    await migrate(db);
    await bootstrapAdmin(db, { email: 'bench@example.org', password: PW });
    await seed({ db });
  } finally {
    await db.close();
  }
  const seedS = (performance.now() - t0) / 1000;
  const port = 19000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/stackwatch.js'), 'serve', '--no-history'], {
    env: {
      ...process.env, PORT: String(port), STACKWATCH_LOG_LEVEL: 'warn', STACKWATCH_ADMIN_PASSWORD: PW,
      ...(opts.dataDir ? { STACKWATCH_DATA_DIR: opts.dataDir, DATABASE_URL: '' } : { DATABASE_URL: opts.databaseUrl }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const srv = { url: `http://127.0.0.1:${port}` };
  try {
    await waitHealthy(srv.url, 120_000);
    const cookie = await login(srv);
    await loadTest(srv, cookie, 5, 100); // warm-up
    const f = (x: number) => x.toFixed(1).padStart(7);
    const line = (name: string, r: Awaited<ReturnType<typeof loadTest>>) =>
      console.log(`  ${name.padEnd(40)} p50 ${f(r.p50)} ms  p95 ${f(r.p95)} ms  p99 ${f(r.p99)} ms  ${r.rps.toFixed(0).padStart(5)} req/s  errors ${r.errors}`);
    console.log(`\n${label}: ${N.toLocaleString('en')} incidents (seeded in ${seedS.toFixed(1)} s)`);
    line('shared views, baseline 1 client', await loadTest(srv, cookie, 1, 200));
    const load = await loadTest(srv, cookie, CLIENTS, REQUESTS);
    line(`shared views, ${CLIENTS} concurrent clients`, load);
    line('distinct queries, baseline 1 client', await loadTest(srv, cookie, 1, 200, true));
    const cold = await loadTest(srv, cookie, CLIENTS, Math.min(REQUESTS, 1000), true);
    line(`distinct queries, ${CLIENTS} concurrent clients`, cold);
    const hwm = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)?.[1];
    console.log(`  server peak RSS ${(Number(hwm ?? 0) / 1024).toFixed(0)} MiB`);
    console.log(`  goal p99 < 100 ms at ${CLIENTS} clients: shared views ${load.p99 < 100 ? 'met' : 'NOT met'}, distinct queries ${cold.p99 < 100 ? 'met' : 'NOT met'}`);
    return load;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((res, rej) => {
    const tick = () =>
      fetch(`${url}/api/health`).then(
        (r) => (r.ok ? res() : retry()),
        () => retry(),
      );
    const retry = () => (Date.now() > until ? rej(new Error('server did not start')) : setTimeout(tick, 100));
    tick();
  });
}

/** Starts the real command twice on a fresh data directory: first start (migrations + history) and a later start. */
async function startTimes() {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-'));
  const port = 18000 + Math.floor(Math.random() * 1000);
  const run = async () => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/stackwatch.js'), 'serve'], {
      env: { ...process.env, STACKWATCH_DATA_DIR: dir, PORT: String(port), STACKWATCH_ADMIN_PASSWORD: PW, STACKWATCH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitHealthy(`http://127.0.0.1:${port}`, 180_000);
    const secs = (performance.now() - t0) / 1000;
    const hwm = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)?.[1];
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    return { secs, peakMiB: Number(hwm ?? 0) / 1024 };
  };
  try {
    const first = await run();
    const later = await run();
    console.log(`\nstackwatch serve (PGlite, real history: STOP + IODA)`);
    console.log(`  first start (migrate + load history) ${first.secs.toFixed(1)} s, peak RSS ${first.peakMiB.toFixed(0)} MiB`);
    console.log(`  later start                          ${later.secs.toFixed(1)} s, peak RSS ${later.peakMiB.toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('incident-search.ts')) {
  const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-db-'));
  try {
    await searchBench('PGlite (embedded)', { dataDir: dir });
    if (pgUrl) await searchBench('PostgreSQL', { databaseUrl: await freshPostgres(pgUrl) });
    else console.log('\nPostgreSQL: skipped (set BENCH_DATABASE_URL=postgres://… to include it)');
    await startTimes();
    console.log(`\nbenchmark process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
