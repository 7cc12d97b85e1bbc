/**
 * Where the time of one registry read goes, per kind of request that bench/registry-load.ts sends: how many SQL
 * statements it runs on the embedded database, their time in PGlite (the single connection is busy meanwhile), and
 * the rest of the request in Node (authentication, zod, Hono, JSON). The real history is loaded (STOP + IODA), one
 * client sends one request at a time over loopback, so the figures are the cost of a request, not queueing.
 *
 * "cold": the registry's result cache is emptied before each request (as after every write under load: the
 * generation moves); the row cache keyed on row versions stays warm, as it does under load. "warm": the same
 * request again with nothing written in between (served from the result cache).
 *
 *   npx tsx bench/registry-profile.ts              # REPEAT=7 (median of the repeats is printed)
 *   STACKWATCH_BENCH_BASELINE=1 npx tsx bench/registry-profile.ts   # the behaviour before issue #8 point 7
 */
import { startServer } from '../src/server.js';

const REPEAT = Number(process.env.REPEAT ?? 7);
const ADMIN = 'admin@example.org';
const PW = 'benchmark password 1234';

interface Stmt {
  text: string;
  ms: number;
}

const srv = await startServer({ quiet: true, port: 0, dataDir: 'memory://', adminEmail: ADMIN, adminPassword: PW, loadHistory: true, jobs: false, cliSocket: false } as never);
const db = srv.db as unknown as { kind: string; registryGeneration: number; pglite: { query: (t: string, p?: unknown[]) => Promise<unknown> } };
if (db.kind !== 'pglite') throw new Error('profiles the embedded database only');
console.log(`history loaded in ${(srv.history.ms / 1000).toFixed(1)} s`);

// Every statement the single connection runs, with its time there.
let log: Stmt[] | null = null;
const orig = db.pglite.query.bind(db.pglite);
// Statements inside transactions (writes) too.
const pgl = db.pglite as unknown as { transaction: <T>(fn: (tx: { query: (t: string, p?: unknown[]) => Promise<unknown> }) => Promise<T>) => Promise<T> };
const origTx = pgl.transaction.bind(pgl);
pgl.transaction = (fn) =>
  origTx((tx) =>
    fn({
      ...tx,
      query: async (text: string, params?: unknown[]) => {
        const t0 = performance.now();
        try {
          return await tx.query(text, params);
        } finally {
          log?.push({ text, ms: performance.now() - t0 });
        }
      },
    }),
  );
db.pglite.query = async (text: string, params?: unknown[]) => {
  const t0 = performance.now();
  try {
    return await orig(text, params);
  } finally {
    log?.push({ text, ms: performance.now() - t0 });
  }
};

const login = await fetch(`${srv.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN, password: PW }) });
const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
const ids = ((await (await fetch(`${srv.url}/api/incidents?pageSize=100`, { headers: { cookie } })).json()) as { items: { id: string }[] }).items.map((i) => i.id);

const KINDS: [string, () => string][] = [
  ['list page N', () => `/api/incidents?page=${1 + Math.floor(Math.random() * 20)}`],
  ['country + type', () => `/api/incidents?country=${['IN', 'IR', 'ET', 'MM', 'PK'][Math.floor(Math.random() * 5)]}&type=shutdown`],
  ['period', () => { const y = 2016 + Math.floor(Math.random() * 7); return `/api/incidents?from=${y}-01-01&to=${y + Math.floor(Math.random() * (2023 - y))}-12-31`; }],
  ['detail', () => `/api/incidents/${ids[Math.floor(Math.random() * ids.length)]}`],
  ['stats/countries', () => `/api/stats/countries?from=${2016 + Math.floor(Math.random() * 7)}-01-01&to=2022-12-31`],
  ['search', () => `/api/incidents?q=${['election', 'protest', 'Tigray', 'internet', 'mobile'][Math.floor(Math.random() * 5)]}`],
  ['search + country', () => `/api/incidents?q=${['election', 'protest', 'internet', 'mobile'][Math.floor(Math.random() * 4)]}&country=${['IN', 'IR', 'ET'][Math.floor(Math.random() * 3)]}`],
];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN;

async function one(path: string, cold: boolean) {
  if (cold) db.registryGeneration++;
  log = [];
  const t0 = performance.now();
  const r = await fetch(srv.url + path, { headers: { cookie } });
  await r.text();
  const total = performance.now() - t0;
  const stmts = log;
  log = null;
  if (r.status !== 200) throw new Error(`${path} → ${r.status}`);
  const sql = stmts.reduce((s, x) => s + x.ms, 0);
  return { total, sql, n: stmts.length, stmts };
}

console.log(`\nper request, median of ${REPEAT}${process.env.STACKWATCH_BENCH_BASELINE === '1' ? ' (BASELINE: behaviour before)' : ''}; ms`);
console.log(`${'request'.padEnd(18)} ${'stmts'.padStart(5)} ${'sql'.padStart(7)} ${'node'.padStart(7)} ${'total'.padStart(7)} ${'warm'.padStart(7)}   slowest statement`);
for (const [label, path] of KINDS) {
  for (let i = 0; i < 2; i++) await one(path(), true); // warm up the code paths (JIT) and the row cache
  const runs = [];
  const warm = [];
  for (let i = 0; i < REPEAT; i++) {
    const p = path();
    runs.push(await one(p, true));
    warm.push((await one(p, false)).total);
  }
  const worst = runs.flatMap((r) => r.stmts).sort((a, b) => b.ms - a.ms)[0];
  const total = median(runs.map((r) => r.total));
  const sql = median(runs.map((r) => r.sql));
  console.log(
    `${label.padEnd(18)} ${String(median(runs.map((r) => r.n))).padStart(5)} ${sql.toFixed(1).padStart(7)} ${(total - sql).toFixed(1).padStart(7)} ${total.toFixed(1).padStart(7)} ${median(warm).toFixed(1).padStart(7)}   ${worst ? `${worst.ms.toFixed(1)} ms: ${worst.text.replace(/\s+/g, ' ').slice(0, 90)}` : ''}`,
  );
  if (process.env.VERBOSE) for (const s of runs[0]!.stmts) console.log(`      ${s.ms.toFixed(1).padStart(6)}  ${s.text.replace(/\s+/g, ' ').slice(0, 150)}`);
}

// A write as the load benchmark sends it (its statements hold the connection too).
{
  const login2 = await fetch(`${srv.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN, password: PW }) });
  const csrf = ((await login2.json()) as { csrfToken: string }).csrfToken;
  const c2 = login2.headers.getSetCookie()[0]!.split(';')[0]!;
  const runs: { total: number; sql: number; n: number; stmts: Stmt[] }[] = [];
  for (let i = 0; i < REPEAT + 2; i++) {
    log = [];
    const t0 = performance.now();
    const r = await fetch(`${srv.url}/api/incidents`, {
      method: 'POST', headers: { cookie: c2, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'shutdown.regional', title: `Profile shutdown ${i} (election protest)`, country: 'IN', area: 'Load region', startAt: `2019-0${1 + (i % 9)}-12`, tlp: 'TLP:GREEN', status: 'draft', summary: 'bench/registry-profile.ts' }),
    });
    await r.text();
    const stmts = log;
    log = null;
    if (r.status !== 201) throw new Error(`POST → ${r.status}`);
    if (i >= 2) runs.push({ total: performance.now() - t0, sql: stmts.reduce((s, x) => s + x.ms, 0), n: stmts.length, stmts });
  }
  const total = median(runs.map((r) => r.total));
  const sql = median(runs.map((r) => r.sql));
  const worst = runs.flatMap((r) => r.stmts).sort((a, b) => b.ms - a.ms)[0];
  console.log(
    `${'create (write)'.padEnd(18)} ${String(median(runs.map((r) => r.n))).padStart(5)} ${sql.toFixed(1).padStart(7)} ${(total - sql).toFixed(1).padStart(7)} ${total.toFixed(1).padStart(7)} ${'-'.padStart(7)}   ${worst ? `${worst.ms.toFixed(1)} ms: ${worst.text.replace(/\s+/g, ' ').slice(0, 90)}` : ''}`,
  );
  if (process.env.VERBOSE) for (const s of runs[0]!.stmts) console.log(`      ${s.ms.toFixed(1).padStart(6)}  ${s.text.replace(/\s+/g, ' ').slice(0, 150)}`);
}
await srv.close();
