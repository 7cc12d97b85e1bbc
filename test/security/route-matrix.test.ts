/**
 * The route matrix (issue #7): every operation of the app's own OpenAPI document, called by every kind of caller
 * of two organisations, with incidents and laws at every TLP level carrying canary strings.
 *
 * - Each operation must declare who may call it (`x-stackwatch-access`); a new route without it fails here.
 * - Anonymous callers get 401 and roles without the permission 403, before any validation of the request.
 * - Callers with the permission get through the gate (a success, or a 4xx about the request or the record).
 * - Writes to another organisation's records are refused (reading shared data never grants writing it).
 * - No response, success or error, to a caller not entitled to it contains a TLP:AMBER, AMBER+STRICT or RED canary.
 *
 * The expected permissions below are the documented policy (docs/security.md), written out independently of
 * src/platform/auth.ts so that a change to either shows up here.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, TestClient } from '../../src/platform/testing.js';
import { buildApp } from '../../src/app.js';
import { silentLogger } from '../../src/platform/log.js';
import { bootstrapAdmin, createUser, systemActor } from '../../src/platform/auth.js';
import type { Db } from '../../src/platform/db.js';

const PW = 'correct horse battery staple';

/** The documented permissions of each role (docs/security.md, "Roles"). */
const POLICY: Record<string, string[]> = {
  admin: ['incidents:read', 'incidents:write', 'laws:read', 'laws:write', 'measure:write', 'outages:write', 'audit:read', 'imports:run', 'ledger:read', 'ledger:write', 'cases:read', 'cases:write', 'grants:decide'],
  analyst: ['incidents:read', 'incidents:write', 'laws:read', 'laws:write', 'measure:write', 'outages:write', 'imports:run', 'ledger:read', 'ledger:write', 'grants:decide'],
  responder: ['incidents:read', 'incidents:write', 'laws:read', 'ledger:read', 'cases:read', 'cases:write', 'grants:decide'],
  partner: ['incidents:read', 'laws:read', 'ledger:read'],
  viewer: ['incidents:read', 'laws:read', 'ledger:read'],
};
const TOKEN_SCOPES = ['incidents:read'];

/**
 * Operations of wings whose own branches add `x-stackwatch-access` in parallel with this one. Each entry is checked
 * to be still missing: once the field arrives (after the merge), this test fails until the entry is deleted, so the
 * list can only shrink. Their responses are still checked for canaries.
 */
const PENDING_ACCESS = new Set<string>([]);

type Caller = { name: string; org: 'A' | 'B' | null; role: string | null; token: boolean; client: TestClient; userId: string | null };

const TLPS = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'] as const;
const SECRET_TLPS = new Set(['TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED']);

describe.each(testBackends())('route matrix on %s', (backend) => {
  let db: Db;
  let app: ReturnType<typeof buildApp>;
  const mk = () => new TestClient({ request: (p, i) => app.request(p, i) });
  const callers: Caller[] = [];
  const users: Record<string, { id: string; org: 'A' | 'B'; role: string }> = {};
  /** Canary string → who may see it. */
  const canaries: { text: string; org: 'A' | 'B'; tlp: string; readers: string[] }[] = [];
  const incidents: { id: string; org: 'A' | 'B'; tlp: string; sourceId: string }[] = [];
  const laws: { id: string; org: 'A' | 'B'; tlp: string }[] = [];
  let spareTokenId = '';
  let openapi: { paths: Record<string, Record<string, Record<string, unknown>>> };

  const entitled = (c: Caller, k: (typeof canaries)[number]) => {
    if (!SECRET_TLPS.has(k.tlp)) return true; // CLEAR and GREEN may reach anyone (anonymous callers get 401 anyway)
    if (!c.org || !c.userId) return false;
    if (k.tlp === 'TLP:RED') return k.readers.includes(c.userId);
    return c.org === k.org;
  };
  const leaks = (c: Caller, text: string) => canaries.filter((k) => !entitled(c, k) && text.includes(k.text)).map((k) => `${k.tlp} canary of org ${k.org}`);

  beforeAll(async () => {
    db = await backend.open();
    app = buildApp({ db, log: silentLogger });
    await bootstrapAdmin(db, { email: 'admin-a@owner.example', password: PW, orgName: 'Owner Org' });
    const sys = await systemActor(db);
    const people: [string, 'A' | 'B', string][] = [
      ['analyst-a@owner.example', 'A', 'analyst'], ['responder-a@owner.example', 'A', 'responder'], ['viewer-a@owner.example', 'A', 'viewer'],
      ['admin-b@peer.example', 'B', 'admin'], ['analyst-b@peer.example', 'B', 'analyst'], ['partner-b@peer.example', 'B', 'partner'], ['viewer-b@peer.example', 'B', 'viewer'],
    ];
    for (const [email, org, role] of people) {
      const u = await createUser(db, { ...sys, label: 'cli' }, { email, name: email, role: role as 'viewer', password: PW, ...(org === 'B' ? { orgName: 'Peer Org' } : {}) });
      users[email] = { id: u.id, org, role };
    }
    const adminA = (await db.query<{ id: string }>("select id from users where email = 'admin-a@owner.example'")).rows[0]!.id;
    users['admin-a@owner.example'] = { id: adminA, org: 'A', role: 'admin' };
    for (const [email, u] of Object.entries(users)) {
      const client = mk();
      const res = await client.login(email, PW);
      expect(res.status, email).toBe(200);
      callers.push({ name: `${u.role}-${u.org}`, org: u.org, role: u.role, token: false, client, userId: u.id });
    }
    callers.push({ name: 'anonymous', org: null, role: null, token: false, client: mk(), userId: null });
    const analystA = callers.find((c) => c.name === 'analyst-A')!;
    const tok = await analystA.client.json('POST', '/api/tokens', { name: 'matrix', scopes: TOKEN_SCOPES });
    expect(tok.status).toBe(201);
    const bot = mk();
    bot.bearer = tok.body.secret;
    callers.push({ name: 'token-A(incidents:read)', org: 'A', role: 'analyst', token: true, client: bot, userId: users['analyst-a@owner.example']!.id });
    spareTokenId = (await analystA.client.json('POST', '/api/tokens', { name: 'spare', scopes: ['incidents:read'] })).body.token.id;

    // Records at every TLP level in both organisations, each with canaries in every field that can carry text.
    for (const org of ['A', 'B'] as const) {
      const author = callers.find((c) => c.name === `analyst-${org}`)!;
      const named = org === 'A' ? users['responder-a@owner.example']!.id : users['viewer-b@peer.example']!.id;
      for (const tlp of TLPS) {
        const k = `CANARY-${org}-${tlp.replace(/[^A-Z]/g, '')}-${randomUUID().slice(0, 8)}`;
        canaries.push({ text: k, org, tlp, readers: [author.userId!, named] });
        const inc = await author.client.json('POST', '/api/incidents', {
          type: 'shutdown.regional', title: `Title ${k}`, country: 'CM', area: `Area ${k}`, startAt: '2021-03-01', endAt: '2021-03-09', tlp,
          ...(tlp === 'TLP:RED' ? { redRecipients: [named] } : {}), summary: `Summary ${k}`, description: `Description ${k}`, tags: [`tag-${k}`],
          actors: [{ name: `Actor ${k}`, role: 'ordered_by' }], services: [`svc-${k}`], originKey: `matrix:${k}`,
        });
        expect(inc.status, `${org} ${tlp}`).toBe(201);
        const id = inc.body.id as string;
        expect((await author.client.json('POST', `/api/incidents/${id}/sources`, { url: `https://example.org/${k}`, title: `Source ${k}` })).status).toBe(201);
        const doc = await author.client.json('POST', `/api/incidents/${id}/documents`, { fileName: `${k}.txt`, contentType: 'text/plain', contentBase64: Buffer.from(`Document ${k}`).toString('base64'), title: `Doc ${k}` });
        expect(doc.status).toBe(201);
        expect((await author.client.json('POST', `/api/incidents/${id}/evidence`, { kind: 'measurement', ref: `ref-${k}`, summary: `Evidence ${k}`, data: { note: k } })).status).toBe(201);
        expect((await author.client.json('PATCH', `/api/incidents/${id}`, { version: 4, summary: `Edited summary ${k}` })).status).toBe(200);
        incidents.push({ id, org, tlp, sourceId: doc.body.id });
        const law = await author.client.json('POST', '/api/laws', { country: 'CM', title: `Law ${k}`, status: 'proposed', summary: `Law summary ${k}`, tlp, articles: [{ ref: 'Art. 1', text: `Text ${k}`, concern: `Concern ${k}` }] });
        expect(law.status).toBe(201);
        laws.push({ id: law.body.id, org, tlp });
        expect((await author.client.json('POST', `/api/laws/${law.body.id}/incidents`, { incidentId: id })).status).toBe(200);
      }
    }
    openapi = (await (await app.request('http://localhost/api/openapi.json')).json()) as typeof openapi;
  }, 240_000);
  afterAll(async () => db?.close());

  /** Values for path parameters: every incident / law / user of both organisations where the name says which. */
  function pathVariants(path: string): { url: string; owner: 'A' | 'B' | null }[] {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    if (!names.length) return [{ url: path, owner: null }];
    const fill = (vals: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(vals[n] ?? randomUUID()));
    if (path.includes('/incidents/{id}')) {
      return incidents.map((i) => ({ url: fill({ id: i.id, sourceId: i.sourceId }), owner: i.org }));
    }
    if (path.startsWith('/laws/{id}')) {
      const greenA = incidents.find((i) => i.org === 'A' && i.tlp === 'TLP:GREEN')!.id;
      return laws.map((l) => ({ url: fill({ id: l.id, incidentId: incidents.find((i) => i.org === l.org && i.tlp === l.tlp)?.id ?? greenA }), owner: l.org }));
    }
    if (path.startsWith('/admin/users/{id}')) {
      return [{ url: fill({ id: users['viewer-a@owner.example']!.id }), owner: 'A' }, { url: fill({ id: users['viewer-b@peer.example']!.id }), owner: 'B' }];
    }
    if (path.startsWith('/tokens/{id}')) return [{ url: fill({ id: spareTokenId }), owner: 'A' }];
    if (names.includes('cc')) return [{ url: fill({ cc: 'CM' }), owner: null }];
    return [{ url: fill({}), owner: null }];
  }

  /** A request body of the right shape for the known operations; `{}` for the others (the gate runs before validation). */
  function bodyFor(method: string, path: string, caller: Caller): unknown {
    const key = `${method} ${path}`;
    const greenA = incidents.find((i) => i.org === 'A' && i.tlp === 'TLP:GREEN')?.id;
    const bodies: Record<string, unknown> = {
      'POST /auth/login': { email: 'nobody@nowhere.example', password: 'not a real password' },
      'POST /auth/password': { currentPassword: 'not the password at all', newPassword: 'another long password 1' },
      'POST /auth/totp/setup': { currentPassword: 'not the password at all' },
      'POST /auth/totp/enable': { code: '000000' },
      'POST /tokens': { name: `matrix-${caller.name}`, scopes: ['incidents:read'] },
      'POST /admin/users': { email: `made-by-${caller.name.toLowerCase().replace(/[^a-z]/g, '')}-${randomUUID().slice(0, 6)}@x.example`, name: 'New', role: 'viewer', password: PW },
      'PATCH /admin/users/{id}': { name: 'Renamed by the matrix' },
      'POST /incidents': { type: 'blocking.website', title: 'Matrix-made incident', country: 'CM', startAt: '2022-01-01', tlp: 'TLP:CLEAR' },
      'PATCH /incidents/{id}': { version: 999_999, title: 'Stale edit from the matrix' },
      'POST /incidents/{id}/sources': { url: `https://example.org/matrix/${caller.name}`, title: 'matrix' },
      'POST /incidents/{id}/documents': { fileName: 'matrix.txt', contentBase64: Buffer.from('matrix').toString('base64') },
      'POST /incidents/{id}/evidence': { kind: 'measurement', ref: `matrix-${caller.name}`, summary: 'matrix' },
      'POST /laws': { country: 'CM', title: 'Matrix law', status: 'proposed' },
      'PATCH /laws/{id}': { version: 999_999, summary: 'Stale edit from the matrix' },
      'POST /laws/{id}/incidents': { incidentId: greenA },
      'POST /outages/sources': { name: `matrix-${caller.name}`, url: 'http://127.0.0.1:9/matrix.csv', format: 'csv', enabled: false },
      'PATCH /outages/sources/{id}': { enabled: false },
      'PUT /outages/sources/{id}/secrets': { authorization: 'Bearer matrix' },
    };
    return key in bodies ? bodies[key] : method === 'get' || method === 'delete' ? undefined : {};
  }

  const mayCall = (c: Caller, access: string): boolean => {
    if (access === 'public') return true;
    if (!c.userId) return false;
    if (access === 'signed-in') return true;
    if (access === 'admin') return c.role === 'admin' && !c.token;
    if (!POLICY[c.role!]!.includes(access)) return false;
    return !c.token || TOKEN_SCOPES.includes(access);
  };

  it('declares who may call every operation (x-stackwatch-access), and the pending list only shrinks', () => {
    const missing: string[] = [];
    const stale: string[] = [];
    const known = new Set(['public', 'signed-in', 'admin', ...Object.values(POLICY).flat()]);
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const key = `${method.toUpperCase()} ${path}`;
        const access = op['x-stackwatch-access'];
        if (access === undefined) {
          if (!PENDING_ACCESS.has(key)) missing.push(key);
        } else {
          if (PENDING_ACCESS.has(key)) stale.push(key);
          expect(known.has(access as string), `${key}: unknown access value ${String(access)}`).toBe(true);
        }
      }
    }
    const present = new Set(Object.entries(openapi.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    for (const key of PENDING_ACCESS) if (!present.has(key)) stale.push(key);
    expect(missing, 'operations without x-stackwatch-access').toEqual([]);
    expect(stale, 'these now declare their access, or no longer exist: delete them from PENDING_ACCESS').toEqual([]);
  });

  it('lets each caller through exactly as declared, refuses cross-organisation writes, and leaks no canary', async () => {
    const failures: string[] = [];
    let calls = 0;
    const ops: { method: string; path: string; access: string | undefined }[] = [];
    for (const [path, o] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(o)) ops.push({ method, path, access: op['x-stackwatch-access'] as string | undefined });
    }
    // Sign-outs and revocations last, so that they do not end the callers' sessions or tokens mid-way.
    const late = (p: { method: string; path: string }) => (p.path === '/auth/logout' ? 2 : p.method === 'delete' ? 1 : 0);
    ops.sort((a, b) => late(a) - late(b));
    for (const { method, path, access } of ops) {
      if (path === '/auth/logout') continue; // checked below with its own client
      for (const variant of pathVariants(path)) {
        await Promise.all(
          callers.map(async (c) => {
            const res = await c.client.call(method.toUpperCase(), `/api${variant.url}`, bodyFor(method, path, c));
            calls++;
            const text = await res.text();
            const where = `${method.toUpperCase()} ${variant.url} as ${c.name} → ${res.status}`;
            const leaked = leaks(c, text + (res.headers.get('content-disposition') ?? ''));
            if (leaked.length) failures.push(`${where}: leaks ${leaked.join(', ')}`);
            if (res.status >= 500) failures.push(`${where}: server error ${text.slice(0, 200)}`);
            if (access === undefined) return;
            const gateRefusal = res.status === 401 || (res.status === 403 && /may not do this|Only admins|needs |scopes do not include/i.test(text));
            if (!mayCall(c, access)) {
              const want = c.userId ? 403 : 401;
              if (res.status !== want) failures.push(`${where}: expected ${want} (access ${access})`);
            } else if (access !== 'public' && gateRefusal && !(path.startsWith('/auth/') && res.status === 401)) {
              failures.push(`${where}: refused although access ${access} allows it: ${text.slice(0, 160)}`);
            }
            // Reading shared data never grants writing it.
            if (method !== 'get' && variant.owner && c.org && c.org !== variant.owner && res.status < 300) {
              failures.push(`${where}: a write to organisation ${variant.owner}'s record succeeded`);
            }
          }),
        );
      }
    }
    console.info(`route matrix on ${backend.name}: ${calls} requests over ${ops.length} operations and ${callers.length} callers`);
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(300);
    // Nothing of organisation B reached organisation A's records (and the other way round).
    const crossed = await db.query(
      `select e.ref from incident_evidence e join incidents i on i.id = e.incident_id join users u on u.id = e.added_by where u.org_id <> i.org_id`,
    );
    expect(crossed.rows).toEqual([]);
  }, 300_000);

  it('checks the caller before the request: an invalid body still gets 401/403, never a validation message', async () => {
    const wrong: string[] = [];
    for (const [path, o] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(o)) {
        const access = op['x-stackwatch-access'] as string | undefined;
        if (access === undefined || access === 'public') continue;
        for (const c of callers.filter((x) => !mayCall(x, access))) {
          const url = `/api${pathVariants(path)[0]!.url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, 'not-a-uuid')}?unknownParam=1`;
          const res = await c.client.call(method.toUpperCase(), url, method === 'get' || method === 'delete' ? undefined : { unexpected: ['field'] });
          const want = c.userId ? 403 : 401;
          if (res.status !== want) wrong.push(`${method.toUpperCase()} ${url} as ${c.name} → ${res.status}, expected ${want}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the audit log, history and exports of each organisation free of what the reader may not read', async () => {
    for (const c of callers) {
      for (const url of ['/api/admin/audit?pageSize=500', '/api/incidents/export?format=csv', '/api/incidents/export?format=json', '/api/incidents?pageSize=500', '/api/laws?pageSize=500']) {
        const res = await c.client.call('GET', url);
        const text = await res.text();
        expect(leaks(c, text), `${url} as ${c.name}`).toEqual([]);
      }
    }
    // The admin of A sees A's AMBER work in its audit log but not the RED incident's bodies (not named on it).
    const adminA = callers.find((c) => c.name === 'admin-A')!;
    const audit = await adminA.client.json('GET', '/api/admin/audit?pageSize=500&entityType=incident');
    const text = JSON.stringify(audit.body);
    expect(text).toContain(canaries.find((k) => k.org === 'A' && k.tlp === 'TLP:AMBER')!.text);
    expect(text).not.toContain(canaries.find((k) => k.org === 'A' && k.tlp === 'TLP:RED')!.text);
    const redId = incidents.find((i) => i.org === 'A' && i.tlp === 'TLP:RED')!.id;
    const redEntries = (audit.body.items as { entityId: string; redacted?: boolean; before: unknown; after: unknown }[]).filter((e) => e.entityId === redId);
    expect(redEntries.length).toBeGreaterThan(0);
    expect(redEntries.every((e) => e.redacted && e.before === null && e.after === null)).toBe(true);
    // B's admin sees nothing of A in its log at all.
    const adminB = callers.find((c) => c.name === 'admin-B')!;
    const bLog = JSON.stringify((await adminB.client.json('GET', '/api/admin/audit?pageSize=500')).body);
    expect(bLog).not.toContain(redId);
    expect(bLog).not.toContain('owner.example');
  });

  it('serves uploaded documents to those who may read the incident, as downloads', async () => {
    const amberA = incidents.find((i) => i.org === 'A' && i.tlp === 'TLP:AMBER')!;
    const viewerA = callers.find((c) => c.name === 'viewer-A')!;
    const res = await viewerA.client.call('GET', `/api/incidents/${amberA.id}/documents/${amberA.sourceId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(res.headers.get('x-content-sha256')).toMatch(/^[0-9a-f]{64}$/);
    expect(await res.text()).toContain('Document CANARY-A-TLPAMBER-');
    const partnerB = callers.find((c) => c.name === 'partner-B')!;
    expect((await partnerB.client.call('GET', `/api/incidents/${amberA.id}/documents/${amberA.sourceId}`)).status).toBe(404);
    // A source id of another incident does not open through an incident one may read.
    const greenA = incidents.find((i) => i.org === 'A' && i.tlp === 'TLP:GREEN')!;
    expect((await partnerB.client.call('GET', `/api/incidents/${greenA.id}/documents/${amberA.sourceId}`)).status).toBe(404);
    expect((await partnerB.client.call('GET', `/api/incidents/${greenA.id}/documents/${greenA.sourceId}`)).status).toBe(200);
  });

  it('signs out (public) without touching anyone else', async () => {
    const c = mk();
    expect((await c.login('viewer-b@peer.example', PW)).status).toBe(200);
    expect((await c.call('POST', '/api/auth/logout')).status).toBe(200);
    expect((await c.call('GET', '/api/auth/me')).status).toBe(401);
    expect((await mk().call('POST', '/api/auth/logout')).status).toBe(200);
    const viewerB = callers.find((x) => x.name === 'viewer-B')!;
    expect((await viewerB.client.call('GET', '/api/auth/me')).status).toBe(200);
  });
});
