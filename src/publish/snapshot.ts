import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from '../platform/http.js';
import type { Db } from '../platform/db.js';
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
    const body = `<p>Version <code>${esc(s.version)}</code> · <a href="/public/data/latest/manifest.json">manifest.json</a> (SHA-256 of every file) · <a href="/api/docs">API</a></p>
${table(['file', 'bytes', 'sha256', ''], s.manifest.files.map((f) => [`<a href="/public/data/latest/${esc(f.name)}">${esc(f.name)}</a>`, String(f.bytes), `<code>${esc(f.sha256)}</code>`, esc(f.description)]))}`;
    return withEtag(c, page({ lang: l, title: DICTS[l].data, path: '/data', body, publisher: s.manifest.publisher }), 'text/html; charset=utf-8');
  });
  return r;
}
