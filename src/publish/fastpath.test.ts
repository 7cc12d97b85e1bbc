import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { createUser, systemActor } from '../platform/auth.js';
import type { Actor } from '../platform/audit.js';
import { createIncident, getIncident, updateIncident } from '../incidents/service.js';
import { fastPathHits } from './fastpath.js';
import { alertRuntime, scanAlerts } from './alerts.js';

/**
 * The public fast path (fastpath.ts) on a real server on loopback: cached public answers are written before the app,
 * with the same bytes and headers as the full path; a sign-in does not empty them; a record made TLP:AMBER is gone
 * from every cached page, feed and API answer at the very next request; the rate limit still counts.
 */

const PW = 'a long admin password';
const SKIP = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
const headersOf = (r: Response) => Object.fromEntries([...r.headers].filter(([k]) => !SKIP.has(k)));

async function start(extra: { trustedProxies?: string[] } = {}): Promise<{ srv: RunningServer; owner: Actor }> {
  const srv = await startServer({ port: 0, dataDir: 'memory://', quiet: true, loadHistory: false, jobs: false, cliSocket: false, adminEmail: 'admin@example.org', adminPassword: PW, ...extra });
  const sys = await systemActor(srv.db);
  const ana = await createUser(srv.db, sys, { email: 'ana@example.org', name: 'Ana', role: 'analyst', password: PW });
  return { srv, owner: { userId: ana.id, label: 'ana@example.org', orgId: sys.orgId, role: 'analyst', scopes: null } };
}

const incident = (owner: Actor, srv: RunningServer, title: string) =>
  createIncident(srv.db, owner, { type: 'shutdown.full', title, country: 'CM', startAt: '2023-05-01', tlp: 'TLP:CLEAR', status: 'verified', summary: `${title} summary`, description: '' } as never);

describe('public fast path', () => {
  let srv: RunningServer;
  let owner: Actor;
  let withdrawnId = '';
  const views = ['/public/en/', '/public/ar/', '/public/en/incidents', '/public/en/incidents?country=CM', '/public/fr/incidents?country=CM&page=1', '/public/en/countries/CM', '/public/en/countries',
    '/api/public/incidents', '/api/public/incidents?country=CM', '/public/feeds/incidents.atom', '/public/sitemap.xml', '/api/public/countries/CM'];

  beforeAll(async () => {
    ({ srv, owner } = await start());
    withdrawnId = (await incident(owner, srv, 'FASTPATH-WITHDRAWN')).id;
    await incident(owner, srv, 'FASTPATH-STAYS');
    await scanAlerts(alertRuntime(srv.db)!); // a baseline: what is verified now is in the feed, unannounced
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
  });

  it('serves a cached public answer again from the fast path, byte for byte and header for header', async () => {
    const paths = [...views, `/public/en/incidents/${withdrawnId}`];
    const before = fastPathHits(srv.db);
    for (const p of paths) {
      const first = await fetch(srv.url + p);
      const a = await first.text();
      const second = await fetch(srv.url + p);
      expect(await second.text(), p).toBe(a);
      expect(headersOf(second), p).toEqual(headersOf(first));
      expect(second.headers.get('x-content-type-options'), p).toBe('nosniff');
    }
    // Pages and public API lists take the fast path (feeds, the sitemap and a country's JSON are answered by the app).
    expect(fastPathHits(srv.db) - before).toBe(paths.length - 3);
    const plain = await new Promise<{ status: number; encoding?: string; body: string }>((res, rej) => {
      // No Accept-Encoding: the plain body (fetch always asks for gzip).
      import('node:http').then(({ get }) => get(`${srv.url}/public/en/`, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString('utf8')));
        r.on('end', () => res({ status: r.statusCode ?? 0, encoding: r.headers['content-encoding'], body }));
      }).on('error', rej), rej);
    });
    expect(plain.status).toBe(200);
    expect(plain.encoding).toBeUndefined();
    expect(plain.body).toContain('FASTPATH-STAYS');
    const etag = (await fetch(`${srv.url}/public/en/`)).headers.get('etag')!;
    const hitsBefore = fastPathHits(srv.db);
    const notModified = await fetch(`${srv.url}/public/en/`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(fastPathHits(srv.db)).toBe(hitsBefore + 1);
  });

  it('keeps its answers across a sign-in (a write that changes nothing public)', async () => {
    await fetch(`${srv.url}/public/en/incidents?country=CM`);
    const generation = srv.db.registryGeneration;
    const login = await fetch(`${srv.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.org', password: PW }) });
    expect(login.status).toBe(200);
    expect(srv.db.registryGeneration).toBe(generation);
    const hitsBefore = fastPathHits(srv.db);
    expect((await fetch(`${srv.url}/public/en/incidents?country=CM`)).status).toBe(200);
    expect(fastPathHits(srv.db)).toBe(hitsBefore + 1);
  });

  it('shows a newly created public incident at the next request; a new TLP:GREEN one keeps the fast answers', async () => {
    const list = '/public/en/incidents?country=CM';
    await fetch(srv.url + list);
    expect(await (await fetch(srv.url + list)).text()).not.toContain('FASTPATH-NEW');
    // Not public (TLP:GREEN): the create is described to the caches and the public answers stay as they are.
    const generation = srv.db.registryGeneration;
    await createIncident(srv.db, owner, { type: 'shutdown.full', title: 'FASTPATH-GREEN', country: 'CM', startAt: '2023-06-01', tlp: 'TLP:GREEN', status: 'verified', summary: 's', description: '' } as never);
    expect(srv.db.registryGeneration).toBe(generation);
    const hits = fastPathHits(srv.db);
    expect(await (await fetch(srv.url + list)).text()).not.toContain('FASTPATH-GREEN');
    expect(fastPathHits(srv.db)).toBe(hits + 1);
    // Public (TLP:CLEAR, verified): every prepared answer is rebuilt.
    await incident(owner, srv, 'FASTPATH-NEW');
    for (const p of [list, '/public/en/', '/api/public/incidents?country=CM']) expect(await (await fetch(srv.url + p)).text(), p).toContain('FASTPATH-NEW');
  });

  it('drops a record made TLP:AMBER from every cached page, feed and API answer at the next request', async () => {
    const page = `/public/en/incidents/${withdrawnId}`;
    const all = [...views, page, `/api/public/incidents/${withdrawnId}`];
    const etags = new Map<string, string>();
    const shown: string[] = [];
    for (const p of all) {
      await fetch(srv.url + p);
      const r = await fetch(srv.url + p);
      const text = await r.text();
      if (text.includes('FASTPATH-WITHDRAWN') || text.includes(withdrawnId)) shown.push(p);
      etags.set(p, r.headers.get('etag') ?? '');
    }
    // It was in the cache of every page, feed and answer that lists records (the countries overview counts them only).
    expect(shown).toEqual(all.filter((p) => p !== '/public/en/countries' && p !== '/api/public/countries/CM'));
    const cur = await getIncident(srv.db, owner, withdrawnId);
    await updateIncident(srv.db, owner, withdrawnId, { version: cur.version, tlp: 'TLP:AMBER' } as never);
    for (const p of all) {
      const r = await fetch(srv.url + p, { headers: { 'if-none-match': etags.get(p)! } });
      expect(r.status, p).not.toBe(304);
      const text = await r.text();
      expect(text, p).not.toContain('FASTPATH-WITHDRAWN');
      expect(text, p).not.toContain(withdrawnId);
      if (p.includes(withdrawnId)) expect(r.status, p).toBe(404);
      else if (shown.includes(p)) expect(text, p).toMatch(/FASTPATH-STAYS|urlset/); // rendered afresh, with the other record
    }
  }, 30_000);
});

describe('public fast path and the rate limit', () => {
  let srv: RunningServer;
  let proxied: RunningServer;
  const saved = process.env.STACKWATCH_PUBLIC_RATE;
  beforeAll(async () => {
    process.env.STACKWATCH_PUBLIC_RATE = '20'; // a burst of 10, then one request every 3 s
    ({ srv } = await start());
    // behind a reverse proxy: the list comes from the server's configuration (an option here; STACKWATCH_TRUSTED_PROXIES is not set)
    ({ srv: proxied } = await start({ trustedProxies: ['127.0.0.1'] }));
  }, 60_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env.STACKWATCH_PUBLIC_RATE;
    else process.env.STACKWATCH_PUBLIC_RATE = saved;
    await srv?.close();
    await proxied?.close();
  });

  it('counts fast answers against the same bucket and answers 429 over it', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 14; i++) {
      const r = await fetch(`${srv.url}/public/en/incidents`);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
      await r.text();
    }
    expect(statuses.filter((s) => s === 200).length).toBe(10);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(fastPathHits(srv.db)).toBeGreaterThanOrEqual(8);
  });

  it('counts each client the proxy names on its own, on the fast path and on the full path', async () => {
    const get = async (path: string, client: string) => {
      const r = await fetch(`${proxied.url}${path}`, { headers: { 'x-forwarded-for': client } });
      await r.text();
      return r.status;
    };
    const first: number[] = [];
    for (let i = 0; i < 12; i++) first.push(await get('/public/en/incidents', '198.51.100.1'));
    expect(first.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(first.slice(10)).toEqual([429, 429]);
    const hits = fastPathHits(proxied.db);
    // another reader behind the same proxy has a bucket of her own, whether the answer is cached or rendered
    expect(await get('/public/en/incidents', '198.51.100.2')).toBe(200);
    expect(fastPathHits(proxied.db)).toBe(hits + 1);
    expect(await get('/public/en/countries', '198.51.100.3')).toBe(200);
    // a forged address in front of the real one does not open a new bucket: the right-most untrusted one counts
    expect(await get('/public/en/incidents', '203.0.113.9, 198.51.100.1')).toBe(429);
  });
});
