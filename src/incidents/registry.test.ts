import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, TestClient } from '../platform/testing.js';
import { buildApp } from '../app.js';
import { silentLogger } from '../platform/log.js';
import { bootstrapAdmin, createUser, systemActor } from '../platform/auth.js';
import type { Db } from '../platform/db.js';
import { totpCode } from '../platform/totp.js';
import { attachEvidence, createIncident, findOverlappingIncidents } from './service.js';

const PW = 'correct horse battery staple';

describe.each(testBackends())('incident registry on %s', (backend) => {
  let db: Db;
  let app: ReturnType<typeof buildApp>;
  const admin = new TestClient({ request: (p, i) => app.request(p, i) });
  const analyst = new TestClient({ request: (p, i) => app.request(p, i) });
  const viewer = new TestClient({ request: (p, i) => app.request(p, i) });
  const partner = new TestClient({ request: (p, i) => app.request(p, i) });
  let strictId = '';
  let clearId = '';

  beforeAll(async () => {
    db = await backend.open();
    app = buildApp({ db, log: silentLogger });
    await bootstrapAdmin(db, { email: 'admin@example.org', password: PW, orgName: 'Digital Rights Lab' });
    const sys = await systemActor(db);
    await createUser(db, sys, { email: 'analyst@example.org', name: 'Ana', role: 'analyst', password: PW });
    await createUser(db, sys, { email: 'viewer@example.org', name: 'Vi', role: 'viewer', password: PW });
    await createUser(db, sys, { email: 'partner@peer.example', name: 'Pat', role: 'partner', password: PW, orgName: 'Peer Network' });
    for (const [c, e] of [[admin, 'admin@example.org'], [analyst, 'analyst@example.org'], [viewer, 'viewer@example.org'], [partner, 'partner@peer.example']] as const) {
      expect((await c.login(e, PW)).status).toBe(200);
    }
  });
  afterAll(async () => db?.close());

  const base = {
    type: 'shutdown.regional', title: 'Mobile data cut in Tigray', country: 'ET', area: 'Tigray', startAt: '2020-11-04', tlp: 'TLP:CLEAR',
    summary: 'Regional shutdown during armed conflict', networks: [{ asn: 24757, name: 'Ethio Telecom' }], actors: [{ name: 'Federal government', role: 'ordered_by' }],
  };

  it('creates incidents and lists them with filters and full-text search', async () => {
    const a = await analyst.json('POST', '/api/incidents', base);
    expect(a.status).toBe(201);
    expect(a.body.country).toBe('ET');
    expect(a.body.startAt).toBe('2020-11-04T00:00:00.000Z');
    expect(a.body.status).toBe('draft');
    clearId = a.body.id;
    const s = await analyst.json('POST', '/api/incidents', { ...base, title: 'Internet blackout in Iran', country: 'IR', area: null, type: 'shutdown.full', startAt: '2019-11-16T14:00:00Z', startPrecision: 'minute', endAt: '2019-11-21', tlp: 'TLP:AMBER+STRICT' });
    expect(s.status).toBe(201);
    strictId = s.body.id;

    const ir = await analyst.json('GET', '/api/incidents?country=IR');
    expect(ir.body.total).toBe(1);
    expect(ir.body.items[0].title).toBe('Internet blackout in Iran');
    const shut = await analyst.json('GET', '/api/incidents?type=shutdown');
    expect(shut.body.total).toBe(2);
    const q = await analyst.json('GET', '/api/incidents?q=tigray');
    expect(q.body.items.map((i: { id: string }) => i.id)).toEqual([clearId]);
    const period = await analyst.json('GET', '/api/incidents?from=2019-11-18&to=2019-11-19');
    expect(period.body.items.map((i: { id: string }) => i.id)).toEqual([strictId]);
    const paged = await analyst.json('GET', '/api/incidents?page=2&pageSize=1');
    expect(paged.body).toMatchObject({ total: 2, page: 2 });
    expect(paged.body.items).toHaveLength(1);
  });

  it('keeps TLP:AMBER+STRICT inside the owning organisation: not in lists, not by id, not in exports', async () => {
    const list = await partner.json('GET', '/api/incidents');
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([clearId]);
    expect(list.body.total).toBe(1);
    expect((await partner.json('GET', `/api/incidents/${strictId}`)).status).toBe(404);
    expect((await partner.json('GET', `/api/incidents/${strictId}/history`)).status).toBe(404);
    const csv = await (await partner.call('GET', '/api/incidents/export?format=csv')).text();
    expect(csv).toContain('Tigray');
    expect(csv).not.toContain('Iran');
    const json = await (await partner.call('GET', '/api/incidents/export?format=json')).json() as { items: { id: string }[] };
    expect(json.items.map((i) => i.id)).toEqual([clearId]);
    const stats = await partner.json('GET', '/api/stats/countries?status=all');
    expect(stats.body.items.map((s: { country: string }) => s.country)).toEqual(['ET']);
    // The owning organisation's viewer sees both.
    expect((await viewer.json('GET', '/api/incidents')).body.total).toBe(2);
    expect((await viewer.json('GET', `/api/incidents/${strictId}`)).status).toBe(200);
  });

  it('shows TLP:RED only to its creator and named recipients', async () => {
    const red = await analyst.json('POST', '/api/incidents', { ...base, title: 'Spyware on a defender phone', type: 'surveillance.spyware', tlp: 'TLP:RED' });
    expect(red.status).toBe(201);
    expect((await analyst.json('GET', `/api/incidents/${red.body.id}`)).status).toBe(200);
    expect((await admin.json('GET', `/api/incidents/${red.body.id}`)).status).toBe(404);
    expect((await viewer.json('GET', '/api/incidents?type=surveillance')).body.total).toBe(0);
  });

  it('refuses writes by viewers and partners, and edits of another organisation', async () => {
    const v = await viewer.json('POST', '/api/incidents', base);
    expect(v.status).toBe(403);
    expect(v.body.error.message).toMatch(/viewer/);
    expect((await partner.json('POST', '/api/incidents', base)).status).toBe(403);
    expect((await partner.json('PATCH', `/api/incidents/${clearId}`, { title: 'Hijacked', version: 1 })).status).toBe(403);
    expect((await viewer.json('POST', `/api/incidents/${clearId}/sources`, { url: 'https://example.org/a' })).status).toBe(403);
  });

  it('edits with optimistic locking, records history and the audit log', async () => {
    const cur = (await analyst.json('GET', `/api/incidents/${clearId}`)).body;
    const up = await analyst.json('PATCH', `/api/incidents/${clearId}`, { status: 'under_review', endAt: '2021-06-01', version: cur.version });
    expect(up.status).toBe(200);
    expect(up.body.version).toBe(cur.version + 1);
    const stale = await analyst.json('PATCH', `/api/incidents/${clearId}`, { title: 'Stale edit', version: cur.version });
    expect(stale.status).toBe(409);
    expect(stale.body.error.field).toBe('version');
    const bad = await analyst.json('PATCH', `/api/incidents/${clearId}`, { status: 'draft', version: up.body.version });
    expect(bad.status).toBe(200); // under_review → draft is allowed
    const jump = await analyst.json('PATCH', `/api/incidents/${clearId}`, { status: 'closed', version: bad.body.version + 5 });
    expect(jump.status).toBe(409);
    // Read once before the source is added: the page is cached then, and must not be served stale afterwards.
    const seen = (await analyst.json('GET', `/api/incidents/${clearId}`)).body;
    expect(seen.sources.map((s: { url: string | null }) => s.url)).not.toContain('https://www.accessnow.org/keepiton/');
    const src = await analyst.json('POST', `/api/incidents/${clearId}/sources`, { url: 'https://www.accessnow.org/keepiton/', title: 'KeepItOn' });
    expect(src.status).toBe(201);
    const doc = await analyst.json('POST', `/api/incidents/${clearId}/documents`, { fileName: 'order.txt', contentType: 'text/plain', contentBase64: Buffer.from('shutdown order').toString('base64') });
    expect(doc.status).toBe(201);
    expect(doc.body.sha256).toBe(createHash('sha256').update('shutdown order').digest('hex'));
    const full = (await analyst.json('GET', `/api/incidents/${clearId}`)).body;
    expect(full.sources.map((s: { url: string | null }) => s.url)).toContain('https://www.accessnow.org/keepiton/');
    const hist = (await analyst.json('GET', `/api/incidents/${clearId}/history`)).body.items;
    expect(hist.map((h: { action: string }) => h.action)).toEqual(['create', 'update', 'update', 'source.add', 'document.add']);
    expect(hist[1].changes.status).toEqual({ from: 'draft', to: 'under_review' });

    const audit = await admin.json('GET', '/api/admin/audit?entityType=incident&pageSize=100');
    expect(audit.status).toBe(200);
    const actions = audit.body.items.map((a: { action: string }) => a.action);
    expect(actions.filter((a: string) => a === 'incident.create').length).toBeGreaterThanOrEqual(3);
    expect(actions).toContain('incident.update');
    expect(actions).toContain('incident.source.add');
    expect(audit.body.items.find((a: { action: string }) => a.action === 'incident.update').actorLabel).toBe('analyst@example.org');
    expect((await analyst.json('GET', '/api/admin/audit')).status).toBe(403);
  });

  it('rejects bad input with a message naming the field, and stores nothing', async () => {
    const before = (await analyst.json('GET', '/api/incidents')).body.total;
    const malformed = await analyst.call('POST', '/api/incidents', '{"title": "x",');
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(await malformed.json())).toMatch(/JSON/i);
    const country = await analyst.json('POST', '/api/incidents', { ...base, country: 'XX' });
    expect(country.status).toBe(400);
    expect(country.body.error.field).toBe('country');
    const order = await analyst.json('POST', '/api/incidents', { ...base, endAt: '2020-01-01' });
    expect(order.status).toBe(400);
    expect(order.body.error.field).toBe('endAt');
    const unknown = await analyst.json('POST', '/api/incidents', { ...base, colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('colour');
    const big = await analyst.json('POST', '/api/incidents', { ...base, description: 'x'.repeat(2_000_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.field).toBe('(body)');
    const type = await analyst.json('POST', '/api/incidents', { ...base, type: 'alien-invasion' });
    expect(type.body.error.field).toBe('type');
    const filter = await analyst.json('GET', '/api/incidents?country=ZZ');
    expect(filter.status).toBe(400);
    expect(filter.body.error.field).toBe('country');
    expect((await analyst.json('GET', '/api/incidents?colour=red')).status).toBe(400);
    expect((await analyst.json('GET', '/api/incidents')).body.total).toBe(before);
  });

  it('requires CSRF token for cookie sessions and refuses anonymous reads', async () => {
    const noCsrf = await app.request('http://localhost/api/incidents', { method: 'POST', headers: { cookie: analyst.cookie, 'content-type': 'application/json' }, body: JSON.stringify(base) });
    expect(noCsrf.status).toBe(403);
    expect((await app.request('http://localhost/api/incidents')).status).toBe(401);
    expect((await app.request('http://localhost/api/health')).status).toBe(200);
    const doc = await (await app.request('http://localhost/api/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/incidents');
  });

  it('API tokens are shown once, scoped, and revocable', async () => {
    const created = await analyst.json('POST', '/api/tokens', { name: 'probe', scopes: ['incidents:read'] });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    const bot = new TestClient({ request: (p, i) => app.request(p, i) });
    bot.bearer = secret;
    expect((await bot.json('GET', '/api/incidents')).status).toBe(200);
    expect((await bot.json('POST', '/api/incidents', base)).status).toBe(403); // scope lacks incidents:write
    const list = await analyst.json('GET', '/api/tokens');
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const stored = await db.query<{ token_hash: string }>('select token_hash from api_tokens');
    expect(stored.rows.every((r) => r.token_hash !== secret && r.token_hash.length === 64)).toBe(true);
    expect((await analyst.json('DELETE', `/api/tokens/${created.body.token.id}`)).status).toBe(200);
    expect((await bot.json('GET', '/api/incidents')).status).toBe(401);
    expect((await viewer.json('POST', '/api/tokens', { name: 'x', scopes: ['incidents:write'] })).status).toBe(403);
  });

  it('lets admins add users and change roles, and a disabled user is signed out at once', async () => {
    const added = await admin.json('POST', '/api/admin/users', { email: 'Temp@Example.org', name: 'Temp', role: 'viewer', password: PW });
    expect(added.status).toBe(201);
    expect(added.body.email).toBe('temp@example.org');
    expect((await admin.json('POST', '/api/admin/users', { email: 'temp@example.org', role: 'viewer', password: PW })).body.error.field).toBe('email');
    expect((await admin.json('POST', '/api/admin/users', { email: 'weak@example.org', role: 'viewer', password: 'short' })).body.error.field).toBe('password');
    const temp = new TestClient({ request: (p, i) => app.request(p, i) });
    expect((await temp.login('temp@example.org', PW)).status).toBe(200);
    expect((await temp.json('GET', '/api/incidents')).status).toBe(200);
    expect((await temp.json('POST', '/api/incidents', base)).status).toBe(403);
    await admin.json('PATCH', `/api/admin/users/${added.body.id}`, { role: 'analyst' });
    expect((await temp.json('POST', '/api/incidents', { ...base, title: 'Made by promoted user' })).status).toBe(201);
    expect((await admin.json('PATCH', `/api/admin/users/${added.body.id}`, { disabled: true })).status).toBe(200);
    expect((await temp.json('GET', '/api/incidents')).status).toBe(401);
    expect((await temp.login('temp@example.org', PW)).status).toBe(401);
    expect((await analyst.json('GET', '/api/admin/users')).status).toBe(403);
    const audit = await admin.json('GET', '/api/admin/audit?entityType=user');
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['user.create', 'user.update']));
  });

  it('lets a user change their own password, which ends their other sessions', async () => {
    await admin.json('POST', '/api/admin/users', { email: 'pw@example.org', role: 'viewer', password: PW });
    const a = new TestClient({ request: (p, i) => app.request(p, i) });
    const b = new TestClient({ request: (p, i) => app.request(p, i) });
    await a.login('pw@example.org', PW);
    await b.login('pw@example.org', PW);
    const wrong = await a.json('POST', '/api/auth/password', { currentPassword: 'not it at all', newPassword: 'a brand new long password' });
    expect(wrong.body.error.field).toBe('currentPassword');
    expect((await a.json('POST', '/api/auth/password', { currentPassword: PW, newPassword: 'short' })).body.error.field).toBe('newPassword');
    expect((await a.json('POST', '/api/auth/password', { currentPassword: PW, newPassword: 'a brand new long password' })).status).toBe(200);
    expect((await a.json('GET', '/api/auth/me')).status).toBe(200);
    expect((await b.json('GET', '/api/auth/me')).status).toBe(401);
    expect((await new TestClient({ request: (p, i) => app.request(p, i) }).login('pw@example.org', PW)).status).toBe(401);
    expect((await new TestClient({ request: (p, i) => app.request(p, i) }).login('pw@example.org', 'a brand new long password')).status).toBe(200);
  });

  it('asks for a TOTP code once a second factor is enabled', async () => {
    expect((await viewer.json('POST', '/api/auth/totp/setup', { currentPassword: 'not the password' })).body.error.field).toBe('currentPassword');
    const setup = await viewer.json('POST', '/api/auth/totp/setup', { currentPassword: PW });
    expect(setup.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    expect((await viewer.json('POST', '/api/auth/totp/enable', { code: '000000' })).status).toBe(400);
    expect((await viewer.json('POST', '/api/auth/totp/enable', { code: totpCode(setup.body.secret) })).status).toBe(200);
    const c = new TestClient({ request: (p, i) => app.request(p, i) });
    const need = await c.login('viewer@example.org', PW);
    expect(need.status).toBe(401);
    expect(((await need.json()) as { error: { code: string } }).error.code).toBe('totp_required');
    expect((await c.login('viewer@example.org', PW, '123456')).status).toBe(401);
    // The code that turned it on was used: a code is accepted once only, so sign in with the next step's code.
    expect((await c.login('viewer@example.org', PW, totpCode(setup.body.secret))).status).toBe(401);
    const next = totpCode(setup.body.secret, Date.now() + 30_000);
    expect((await c.login('viewer@example.org', PW, next)).status).toBe(200);
  });

  it('locks an account after repeated wrong passwords', async () => {
    const c = new TestClient({ request: (p, i) => app.request(p, i) });
    for (let i = 0; i < 5; i++) expect((await c.login('viewer@example.org', 'wrong password!!')).status).toBe(401);
    // Locked out: the same answer as a wrong password (no 423 that would tell the account exists).
    const locked = await c.login('viewer@example.org', PW);
    expect(locked.status).toBe(401);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const audit = await admin.json('GET', '/api/admin/audit?action=user.lockout');
    expect(audit.body.total).toBe(1);
  });

  it('gives other wings idempotent evidence links and overlap search', async () => {
    const sys = await systemActor(db);
    const a = await createIncident(db, sys, { type: 'shutdown.full', title: 'Detected national outage', country: 'CM', startAt: '2017-01-17', endAt: '2017-04-20', tlp: 'TLP:CLEAR', origin: 'outages', originKey: 'outages:test:1' });
    const b = await createIncident(db, sys, { type: 'shutdown.full', title: 'Detected national outage', country: 'CM', startAt: '2017-01-17', tlp: 'TLP:CLEAR', origin: 'outages', originKey: 'outages:test:1' });
    expect(b.id).toBe(a.id);
    expect(b.created).toBe(false);
    const e1 = await attachEvidence(db, sys, a.id, { kind: 'outage_event', ref: 'evt-1', summary: 'BGP drop' });
    const e2 = await attachEvidence(db, sys, a.id, { kind: 'outage_event', ref: 'evt-1', summary: 'BGP drop' });
    expect(e1.created).toBe(true);
    expect(e2).toEqual({ id: e1.id, created: false });
    const hits = await findOverlappingIncidents(db, { country: 'CM', from: new Date('2017-03-01'), to: new Date('2017-03-02') });
    expect(hits.map((h) => h.id)).toEqual([a.id]);
    expect(await findOverlappingIncidents(db, { country: 'CM', from: new Date('2018-03-01'), to: null })).toEqual([]);
  });

  it('tracks laws with a status timeline and links to incidents', async () => {
    const law = await analyst.json('POST', '/api/laws', { country: 'ET', title: 'Hate Speech and Disinformation Prevention Proclamation', status: 'passed', rights: ['expression'], articles: [{ ref: 'Art. 7', text: 'Offences', concern: 'vague definition of hate speech' }] });
    expect(law.status).toBe(201);
    const up = await analyst.json('PATCH', `/api/laws/${law.body.id}`, { status: 'in_force', version: law.body.version });
    expect(up.body.timeline.map((t: { status: string }) => t.status)).toEqual(['passed', 'in_force']);
    const link = await analyst.json('POST', `/api/laws/${law.body.id}/incidents`, { incidentId: clearId });
    expect(link.body.incidentIds).toEqual([clearId]);
    const country = await viewer.json('GET', '/api/countries/ET?status=all');
    expect(country.body.laws).toHaveLength(1);
    // One Tigray record was given an end (2021-06-01: 210 days); the other has none and no word on it: end unknown, so it
    // counts on its first day only (docs/registry.md) — a day the first one already covers.
    expect(country.body).toMatchObject({ shutdownDays: 210, endUnknown: 1, incidentCount: 2 });
    expect(country.body.filter.description).toMatch(/^Incidents of any status/);
    expect((await viewer.json('POST', '/api/laws', { country: 'ET', title: 'x law', status: 'proposed' })).status).toBe(403);
  });
});
