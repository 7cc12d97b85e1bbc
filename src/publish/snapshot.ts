import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from '../platform/http.js';
import type { Db } from '../platform/db.js';
import type { JobQueue } from '../platform/jobs.js';
import type { Logger } from '../platform/log.js';
import { audit, type Actor } from '../platform/audit.js';
import { badRequest } from '../core/errors.js';
import { allPublicIncidents, cachedPublic, listPublicLaws, publicLastModified, type PublicIncident } from '../incidents/publishing.js';
import { measurementsJsonl } from '../measure/publishing.js';
import { publicOutageEvents } from '../outages/publishing.js';
import { DATASETS } from './methodology.js';
import { siteSettings } from './settings.js';
import { withEtag } from './guard.js';
import { esc, page, table } from './html.js';
import { DICTS, isLang } from './i18n.js';

/**
 * Open data snapshots: everything public at one moment, as CSV and JSON (measurements as OONI JSONL), with a data
 * dictionary, the licence and attribution of each source, and a manifest listing each file's SHA-256. A snapshot's
 * version is the date plus the first characters of the manifest's own digest, so two snapshots of the same data
 * have the same version and any change gives a new one.
 */

export interface SnapshotFile { name: string; contentType: string; body: Buffer }
export interface Snapshot { version: string; createdAt: string; files: SnapshotFile[]; manifest: Manifest }
export interface Manifest {
  version: string;
  createdAt: string;
  publisher: string;
  files: { name: string; bytes: number; sha256: string; description: string }[];
  sources: { id: string; name: string; licence: string; attribution: string; url: string }[];
}

const csvCell = (v: unknown) => {
  const s = v == null ? '' : Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join('; ') : String(v);
  return /[",\n\r]/.test(s) || /^[=+\-@\t]/.test(s) ? `"${(/^[=+\-@\t]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s;
};
export function toCsv(cols: string[], rows: Record<string, unknown>[]): string {
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n';
}

export const INCIDENT_DICTIONARY: Record<string, string> = {
  id: 'Stable identifier (UUID); the public page is /public/en/incidents/<id>',
  type: 'Incident type from the Stackwatch taxonomy, e.g. shutdown.full, shutdown.regional, shutdown.mobile, throttling, blocking.service',
  title: 'Short title', country: 'ISO 3166-1 alpha-2 country code', area: 'Region or place when not nationwide; empty = nationwide or not recorded',
  startAt: 'Start (UTC, ISO 8601)', startPrecision: 'day or minute: how precise the start is', endAt: 'End (UTC); empty = ongoing or not recorded',
  endPrecision: 'day or minute', status: 'verified, closed, or another status explicitly marked public', severity: 'low, medium, high, critical',
  networks: 'Affected networks (name, ASN)', services: 'Affected services (platforms, SMS, voice…)', actors: 'Who ordered or carried it out (name, role)',
  targets: 'Who was targeted', summary: 'One-paragraph summary', tags: 'Causes and events (protests, election, exams…)', origin: 'Where the record came from: stop, ioda, manual, outages, measure',
  publisher: 'Public name of the organisation that published the record', updatedAt: 'Last change (UTC)',
};
const INCIDENT_COLS = Object.keys(INCIDENT_DICTIONARY);

export async function buildSnapshot(db: Db): Promise<Snapshot> {
  const site = await siteSettings(db);
  const incidents: PublicIncident[] = [];
  for await (const i of allPublicIncidents(db)) incidents.push(i);
  const rows = incidents as unknown as Record<string, unknown>[];
  const laws = site.publishLaws ? await listPublicLaws(db) : [];
  const outages = site.publishOutages ? await publicOutageEvents(db, { limit: 50_000 }) : [];
  let jsonl = '';
  if (site.publishMeasurements) for await (const line of measurementsJsonl(db)) jsonl += line;
  const lastmod = (await publicLastModified(db)) ?? new Date(0).toISOString();
  const dictionary = {
    'incidents.csv / incidents.json': INCIDENT_DICTIONARY,
    'laws.csv / laws.json': { id: 'UUID', country: 'ISO 3166-1 alpha-2', title: 'Title', status: 'proposed, passed, in_force, amended, repealed', timeline: 'Status changes with dates', articles: 'Articles of concern', rights: 'Rights affected', summary: 'Summary', url: 'Official text', incidentIds: 'Linked public incidents', updatedAt: 'Last change (UTC)' },
    'outage-events.csv / outage-events.json': { id: 'UUID', entity: 'Signal entity (country, region or network)', scope: 'country, region, network', country: 'ISO 3166-1 alpha-2', name: 'Place or network name', kind: 'outage or throttling', startAt: 'Start (UTC)', endAt: 'End (UTC); empty = ongoing', depth: 'Drop below the baseline, 0–1', signals: 'Signals that dropped', incidentId: 'Linked incident', updatedAt: 'Last change' },
    'measurements.jsonl': 'One OONI measurement (web_connectivity, data format 0.2.0) per line, as measured, with probe_ip replaced by 127.0.0.1. See https://github.com/ooni/spec',
  };
  const files: SnapshotFile[] = [
    { name: 'incidents.csv', contentType: 'text/csv; charset=utf-8', body: Buffer.from(toCsv(INCIDENT_COLS, rows)) },
    { name: 'incidents.json', contentType: 'application/json', body: Buffer.from(JSON.stringify(rows.map((r) => Object.fromEntries(INCIDENT_COLS.map((c) => [c, r[c]]))), null, 1)) },
    { name: 'laws.csv', contentType: 'text/csv; charset=utf-8', body: Buffer.from(toCsv(['id', 'country', 'title', 'status', 'rights', 'summary', 'url', 'incidentIds', 'updatedAt'], laws as unknown as Record<string, unknown>[])) },
    { name: 'laws.json', contentType: 'application/json', body: Buffer.from(JSON.stringify(laws, null, 1)) },
    { name: 'outage-events.csv', contentType: 'text/csv; charset=utf-8', body: Buffer.from(toCsv(['id', 'entity', 'scope', 'country', 'name', 'kind', 'startAt', 'endAt', 'depth', 'signals', 'incidentId', 'updatedAt'], outages as unknown as Record<string, unknown>[])) },
    { name: 'outage-events.json', contentType: 'application/json', body: Buffer.from(JSON.stringify(outages, null, 1)) },
    { name: 'measurements.jsonl', contentType: 'application/x-ndjson', body: Buffer.from(jsonl) },
    { name: 'data-dictionary.json', contentType: 'application/json', body: Buffer.from(JSON.stringify(dictionary, null, 1)) },
    {
      name: 'LICENCE-AND-ATTRIBUTION.md', contentType: 'text/markdown; charset=utf-8',
      body: Buffer.from(`# Licence and attribution\n\nPublished by ${site.publicName}. Keep each source's attribution wherever you show or re-publish these data.\n\n${DATASETS.map((d) => `## ${d.name}\n\n${d.what}\n\n- Licence: ${d.licence}\n- Attribution: ${d.attribution}\n- ${d.url}\n`).join('\n')}\nRecords entered by ${site.publicName} itself: CC BY 4.0, attribution "${site.publicName}".\n`),
    },
  ];
  const described: Record<string, string> = {
    'incidents.csv': 'Public incidents (TLP:CLEAR, published), one per row', 'incidents.json': 'The same as JSON', 'laws.csv': 'Public laws', 'laws.json': 'The same as JSON',
    'outage-events.csv': 'Outage events confirmed in review', 'outage-events.json': 'The same as JSON', 'measurements.jsonl': 'Measurements as OONI JSON lines',
    'data-dictionary.json': 'What every column means', 'LICENCE-AND-ATTRIBUTION.md': 'Licence and attribution of each source',
  };
  const list = files.map((f) => ({ name: f.name, bytes: f.body.length, sha256: createHash('sha256').update(f.body).digest('hex'), description: described[f.name] ?? '' }));
  const digest = createHash('sha256').update(JSON.stringify(list)).digest('hex').slice(0, 12);
  const version = `${lastmod.slice(0, 10)}-${digest}`;
  const manifest: Manifest = {
    version, createdAt: new Date().toISOString(), publisher: site.publicName, files: list,
    sources: DATASETS.map((d) => ({ id: d.id, name: d.name, licence: d.licence, attribution: d.attribution, url: d.url })),
  };
  files.push({ name: 'manifest.json', contentType: 'application/json', body: Buffer.from(JSON.stringify(manifest, null, 1)) });
  return { version, createdAt: manifest.createdAt, files, manifest };
}

/** Writes a snapshot into <dir>/<version>/ and returns the folder. */
export async function writeSnapshot(db: Db, dir: string): Promise<{ folder: string; snapshot: Snapshot }> {
  const s = await buildSnapshot(db);
  const folder = join(dir, s.version);
  await mkdir(folder, { recursive: true });
  for (const f of s.files) await writeFile(join(folder, f.name), f.body);
  return { folder, snapshot: s };
}

const bucket = () => Math.floor(Date.now() / 60_000);
export const latestSnapshot = (db: Db) => cachedPublic(db, `snapshot:${bucket()}`, () => buildSnapshot(db));

export function snapshotRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/public/data/latest/:file', async (c) => {
    const s = await latestSnapshot(c.get('db'));
    const f = s.files.find((x) => x.name === c.req.param('file'));
    if (!f) return c.text(`file: no file "${c.req.param('file')}" in the snapshot; see /public/data/latest/manifest.json`, 404);
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Content-Disposition', `attachment; filename="stackwatch-${s.version}-${f.name}"`);
    return withEtag(c, f.body, f.contentType);
  });
  r.get('/public/:lang/data', async (c) => {
    const s = await latestSnapshot(c.get('db'));
    const lang = c.req.param('lang');
    const l = isLang(lang) ? lang : 'en';
    const store = snapshotStore(c.get('db'));
    const versions = store ? await publicVersions(c.get('db'), store) : [];
    const body = `<p>Version <code>${esc(s.version)}</code> · <a href="/public/data/latest/manifest.json">manifest.json</a> (SHA-256 of every file) · <a href="/api/docs">API</a></p>
${table(['file', 'bytes', 'sha256', ''], s.manifest.files.map((f) => [`<a href="/public/data/latest/${esc(f.name)}">${esc(f.name)}</a>`, String(f.bytes), `<code>${esc(f.sha256)}</code>`, esc(f.description)]))}
${versions.length ? `<h2>Versions</h2><p class="muted">Each version is kept unchanged (its files match the SHA-256 in its manifest); the newest ${store?.keep ?? 0} are kept.</p>${table(['version', 'created', 'files', ''], versions.map((v) => [`<code>${esc(v.version)}</code>`, esc(v.createdAt.slice(0, 16).replace('T', ' '))+' UTC', v.files.map((f) => `<a href="/public/data/${esc(v.version)}/${esc(f.name)}">${esc(f.name)}</a>`).join(' · '), `<a href="/public/data/${esc(v.version)}/manifest.json">manifest.json</a>`]))}` : ''}`;
    return withEtag(c, page({ lang: l, title: DICTS[l].data, path: '/data', body, publisher: s.manifest.publisher }), 'text/html; charset=utf-8');
  });
  r.route('/', versionRoutes());
  return r;
}

// ---- versioned snapshots written by the server -------------------------------------------------------------------

/**
 * Where the server keeps its versioned snapshots, and how many it keeps. Bound per database handle by the server
 * (`<data dir>/snapshots`, or STACKWATCH_SNAPSHOT_DIR); without a binding (an in-memory database) the server writes
 * none and says so.
 */
export interface SnapshotStore { dir: string; keep: number }
const stores = new WeakMap<object, SnapshotStore>();
export const SNAPSHOT_QUEUE = 'publish.snapshot';
const VERSION_RE = /^\d{4}-\d{2}-\d{2}-[0-9a-f]{12}$/;

export function bindSnapshotStore(db: Db, store: SnapshotStore): void {
  if (!Number.isInteger(store.keep) || store.keep < 1) throw new Error('STACKWATCH_SNAPSHOT_KEEP: must be a whole number of at least 1');
  stores.set(db, store);
}
export const snapshotStore = (db: Db): SnapshotStore | null => stores.get(db) ?? null;

export interface StoredVersion { version: string; createdAt: string; publisher: string; files: Manifest['files'] }

/** The versions on disk, newest first (by the manifest's creation time). Folders without a readable manifest are skipped. */
export async function listVersions(dir: string): Promise<StoredVersion[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: StoredVersion[] = [];
  for (const n of names) {
    if (!VERSION_RE.test(n)) continue;
    try {
      const m = JSON.parse(await readFile(join(dir, n, 'manifest.json'), 'utf8')) as Manifest;
      if (m.version === n) out.push({ version: n, createdAt: m.createdAt, publisher: m.publisher, files: m.files });
    } catch {
      // half-written or foreign folder: not a version
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.version.localeCompare(a.version));
}

/** Ids of every public incident and law now, cached under the registry's generation. */
function publicIds(db: Db): Promise<Set<string>> {
  return cachedPublic(db, 'snapshot-public-ids', async () => {
    const ids = new Set<string>();
    for await (const i of allPublicIncidents(db)) ids.add(i.id);
    for (const l of await listPublicLaws(db)) ids.add(l.id);
    return ids;
  });
}

/**
 * Whether every incident and law in a stored version is still public. A version is a frozen file set, so a record
 * that stopped being public (TLP raised, unpublished) cannot be cut out of it without breaking its SHA-256: the
 * whole version is withdrawn instead — no longer listed or served (410), and deleted by the next snapshot run.
 */
export function versionStillPublic(db: Db, dir: string, version: string): Promise<boolean> {
  return cachedPublic(db, `snapshot-ok:${dir}:${version}`, async () => {
    const now = await publicIds(db);
    for (const f of ['incidents.json', 'laws.json']) {
      const rows = JSON.parse(await readFile(join(dir, version, f), 'utf8').catch(() => '[]')) as { id?: string }[];
      if (rows.some((r) => !r.id || !now.has(r.id))) return false;
    }
    return true;
  });
}

/** The versions that may be served: on disk and with nothing in them that stopped being public. */
export async function publicVersions(db: Db, store: SnapshotStore): Promise<StoredVersion[]> {
  const out: StoredVersion[] = [];
  for (const v of await listVersions(store.dir)) if (await versionStillPublic(db, store.dir, v.version)) out.push(v);
  return out;
}

let writing: Promise<unknown> = Promise.resolve();

/**
 * Builds a snapshot and stores it as `<dir>/<version>/` unless that version is already there (the same data gives
 * the same version). Files are written into a temporary folder and renamed into place, so a reader never sees half
 * a version; then only the newest `keep` versions are kept. One write at a time per process.
 */
export function storeSnapshot(db: Db, store: SnapshotStore): Promise<{ version: string; created: boolean; removed: string[] }> {
  const run = writing.then(async () => {
    await mkdir(store.dir, { recursive: true });
    const s = await buildSnapshot(db);
    let created = false;
    if (!(await stat(join(store.dir, s.version, 'manifest.json')).catch(() => null))) {
      const tmp = join(store.dir, `.tmp-${s.version}-${randomBytes(4).toString('hex')}`);
      await mkdir(tmp);
      for (const f of s.files) await writeFile(join(tmp, f.name), f.body);
      await rm(join(store.dir, s.version), { recursive: true, force: true });
      await rename(tmp, join(store.dir, s.version));
      created = true;
    }
    const removed: string[] = [];
    const all = await listVersions(store.dir);
    const ok = await publicVersions(db, store);
    const keep = new Set(ok.slice(0, store.keep).map((v) => v.version));
    for (const v of all.filter((x) => !keep.has(x.version))) {
      await rm(join(store.dir, v.version), { recursive: true, force: true });
      removed.push(v.version);
    }
    return { version: s.version, created, removed };
  });
  writing = run.catch(() => undefined);
  return run;
}

/** Writes a snapshot every day (and ten minutes after start when none is stored yet) through the job queue. */
export async function startSnapshots(jobs: JobQueue, db: Db, log: Logger, cron = '23 3 * * *'): Promise<void> {
  const store = snapshotStore(db);
  if (!store) return;
  await jobs.work(SNAPSHOT_QUEUE, async () => {
    const r = await storeSnapshot(db, store);
    log.info('open data snapshot', { version: r.version, created: r.created, removed: r.removed.length });
  });
  await jobs.schedule(SNAPSHOT_QUEUE, cron);
  // None stored yet: the first one ten minutes after start, not at once (a first start is busy loading the history,
  // and a snapshot reads every public record).
  if (!(await listVersions(store.dir)).length) await jobs.send(SNAPSHOT_QUEUE, {}, { singletonKey: 'first-snapshot', startAfter: 600 } as never);
}

/** An admin asks for a snapshot now: written at once, audited. */
export async function snapshotNow(db: Db, actor: Actor): Promise<{ version: string; created: boolean; removed: string[] }> {
  const store = snapshotStore(db);
  if (!store) throw badRequest('Versioned snapshots are off on this server: it has no data directory (in-memory database). Set STACKWATCH_SNAPSHOT_DIR.', 'snapshot');
  const r = await storeSnapshot(db, store);
  await audit(db, actor, 'publish.snapshot', 'publish_snapshot', r.version, null, r);
  return r;
}

export function versionRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  // A stored file exactly as written (its SHA-256 is the manifest's), never rebuilt.
  r.get('/public/data/:version/:file', async (c) => {
    const store = snapshotStore(c.get('db'));
    const version = c.req.param('version');
    const name = c.req.param('file');
    if (!store || !VERSION_RE.test(version)) return c.text(`version: no snapshot "${version}"; see /public/en/data`, 404);
    const v = (await listVersions(store.dir)).find((x) => x.version === version);
    const f = name === 'manifest.json' ? { name } : v?.files.find((x) => x.name === name);
    if (!v || !f) return c.text(`file: no file "${name}" in snapshot ${version}; see /public/data/${version}/manifest.json`, 404);
    if (!(await versionStillPublic(c.get('db'), store.dir, version))) {
      c.header('Cache-Control', 'no-store');
      return c.text(`Snapshot ${version} has been withdrawn: a record in it is no longer public. Use a later version (/public/en/data).`, 410);
    }
    const body = await readFile(join(store.dir, version, f.name));
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Content-Disposition', `attachment; filename="stackwatch-${version}-${f.name}"`);
    c.header('Cache-Control', 'public, max-age=31536000, immutable'); // a version never changes; it may only be removed
    c.header('ETag', `"${version}-${f.name}"`);
    const type = f.name.endsWith('.csv') ? 'text/csv; charset=utf-8' : f.name.endsWith('.jsonl') ? 'application/x-ndjson' : f.name.endsWith('.md') ? 'text/markdown; charset=utf-8' : 'application/json';
    c.header('Content-Type', type);
    return c.body(body as unknown as string, 200);
  });
  return r;
}
