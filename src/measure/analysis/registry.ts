import type { Db } from '../../platform/db.js';
import { attachEvidence, createIncident, findOverlappingIncidents, type Actor } from '../../incidents/service.js';
import { getMeasurement, listMeasurements, type MeasurementRow } from './store.js';

/** Links measurements to the incident registry, only through the incidents service. */

export function evidenceRef(m: MeasurementRow): string {
  return `measurement:${m.sha256}`;
}

function evidenceSummary(m: MeasurementRow): string {
  const fp = m.fingerprint ? ` (fingerprint ${m.fingerprint})` : '';
  return `web_connectivity ${m.input ?? ''} from AS${m.probeAsn} ${m.probeCc} on ${m.start.slice(0, 16).replace('T', ' ')} UTC: ${m.verdict}${fp}`.slice(0, 2000);
}

/** Attaches stored measurements (by id) to an incident as evidence. Idempotent. */
export async function attachMeasurements(db: Db, actor: Actor, incidentId: string, measurementIds: string[]): Promise<{ attached: number; already: number; missing: string[] }> {
  let attached = 0;
  let already = 0;
  const missing: string[] = [];
  for (const id of measurementIds) {
    const m = await getMeasurement(db, id, actor.orgId);
    if (!m) {
      missing.push(id);
      continue;
    }
    const r = await attachEvidence(db, actor, incidentId, {
      kind: 'measurement',
      ref: evidenceRef(m),
      summary: evidenceSummary(m),
      data: { measurementId: m.id, sha256: m.sha256, reportId: m.reportId, input: m.input, verdict: m.verdict, blocking: m.blocking, fingerprint: m.fingerprint, reasons: m.reasons.slice(0, 10) },
    });
    if (r.created) attached++;
    else already++;
  }
  return { attached, already, missing };
}

/**
 * Kinds that count as a confirmed block: a matched blockpage or DNS fingerprint. The stored `fingerprint` is set only
 * for confirmed matches (in scope for the probe's country, not vague words, not seen by the control too); likely
 * ones never open an incident.
 */
const CONFIRMED = new Set(['dns', 'http-blockpage']);

export interface OpenedIncident {
  domain: string;
  incidentId: string;
  created: boolean;
  measurements: number;
}

/**
 * Opens (or reuses) one draft "website blocking" incident per domain with confirmed blocks in a country, and
 * attaches the confirming measurements as evidence. An overlapping blocking.website incident whose services name
 * the domain is reused; otherwise an incident is created with an idempotency key, so running this twice is safe.
 */
export async function openBlockingIncidents(
  db: Db,
  actor: Actor,
  q: { country: string; from?: string; to?: string; domain?: string; tlp?: 'TLP:CLEAR' | 'TLP:GREEN' | 'TLP:AMBER' | 'TLP:AMBER+STRICT' | 'TLP:RED' },
): Promise<OpenedIncident[]> {
  const all: MeasurementRow[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await listMeasurements(db, { orgId: actor.orgId, country: q.country, from: q.from, to: q.to, domain: q.domain, limit: 500, offset });
    all.push(...page.items);
    if (page.items.length < 500) break;
  }
  const confirmed = all.filter((m) => m.fingerprint && CONFIRMED.has(m.verdict) && m.domain);
  const byDomain = new Map<string, MeasurementRow[]>();
  for (const m of confirmed) byDomain.set(m.domain!, [...(byDomain.get(m.domain!) ?? []), m]);
  const out: OpenedIncident[] = [];
  for (const [domain, ms] of [...byDomain].sort(([a], [b]) => a.localeCompare(b))) {
    ms.sort((a, b) => a.start.localeCompare(b.start));
    const first = ms[0]!;
    const last = ms[ms.length - 1]!;
    const overlapping = await findOverlappingIncidents(db, { country: q.country.toUpperCase(), typePrefixes: ['blocking.website'], from: new Date(first.start), to: new Date(last.start) });
    let incidentId: string | undefined;
    let created = false;
    for (const o of overlapping) if (o.title.toLowerCase().includes(domain)) incidentId = o.id;
    if (!incidentId) {
      const asns = [...new Set(ms.map((m) => m.probeAsn))].filter((a) => a > 0);
      const kinds = [...new Set(ms.map((m) => `${m.verdict}${m.fingerprint ? ` (${m.fingerprint})` : ''}`))];
      const inc = await createIncident(db, actor, {
        type: 'blocking.website',
        title: `Blocking of ${domain} in ${q.country.toUpperCase()}`,
        country: q.country.toUpperCase(),
        networks: asns.map((asn) => ({ asn })),
        services: [domain],
        startAt: first.start,
        startPrecision: 'minute',
        endAt: null,
        status: 'draft',
        severity: 'medium',
        tlp: q.tlp ?? 'TLP:AMBER',
        summary: `${ms.length} web-connectivity measurement(s) confirm blocking of ${domain}: ${kinds.join(', ')}. First seen ${first.start}, last ${last.start}.`,
        tags: ['measure', 'confirmed-block'],
        origin: 'measure',
        originKey: `measure:blocking.website:${q.country.toUpperCase()}:${domain}:${first.start.slice(0, 10)}`,
      });
      incidentId = inc.id;
      created = inc.created !== false;
    }
    await attachMeasurements(db, actor, incidentId, ms.map((m) => m.id));
    out.push({ domain, incidentId, created, measurements: ms.length });
  }
  return out;
}
