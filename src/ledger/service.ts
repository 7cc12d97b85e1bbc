/**
 * The ledger's logic beyond imports: infrastructure interventions entered by analysts (audited), the surge rule
 * and the registry link (draft incidents with the ledger rows as evidence, never a duplicate), and the country
 * pressure timeline that lays demands beside blocking, shutdowns, throttling and laws.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Db } from '../platform/db.js';
import { audit, type Actor } from '../platform/audit.js';
import { requirePerm } from '../platform/auth.js';
import { badRequest } from '../core/errors.js';
import { attachEvidence, createIncident, findOverlappingIncidents, listLaws } from '../incidents/service.js';
import type { IncidentType } from '../core/taxonomy.js';
import { blockedDomainsOverTime } from '../measure/analysis/store.js';
import { listEvents } from '../outages/link.js';
import { lit, type LedgerEngine } from './engine.js';
import { ACTION_LAYER, Caveats, check, InterventionInput, type DemandRow, type InterventionAction } from './model.js';
import { runQuery } from './queries.js';
import { insertDemands, runRowImport, visibleDemands, type Flag, type ImportSummary } from './store.js';
import { blankDemand, sha256Of } from './import/common.js';

function interventionRow(v: ReturnType<typeof InterventionInput.parse>, p: { id: string; importId: string; file: string; sha256: string; row: number; actor: Actor }): DemandRow {
  const row = blankDemand({ id: p.id, dataset: 'interventions', importId: p.importId, sourceFile: p.file, sha256: p.sha256, row: p.row });
  return Object.assign(row, {
    record_kind: 'intervention', requester_country: v.requesterCountry ?? null, requester_type: v.requesterType, requester_raw: v.requester, legal_basis_raw: v.legalBasis,
    reason: '', platform: v.provider, stack_layer: v.layer ?? ACTION_LAYER[v.action], period_start: v.startDate, period_end: v.endDate ?? v.startDate,
    requests_low: 1, requests_high: 1, outcome: v.outcome, action: v.action, target: v.target, sources: JSON.stringify(v.sources), tlp: v.tlp,
    org_id: p.actor.orgId, created_by: p.actor.userId ?? p.actor.label,
  } satisfies Partial<DemandRow>);
}

/** Records one intervention an analyst entered (the form). Audited in the registry's audit log. */
export async function addIntervention(db: Db, e: LedgerEngine, actor: Actor, input: unknown): Promise<DemandRow> {
  requirePerm(actor, 'ledger:write');
  const v = check(InterventionInput, input);
  if (v.tlp === 'TLP:RED' && !actor.userId) throw badRequest('A TLP:RED row needs a signed-in author.', 'tlp');
  const id = randomUUID();
  const row = interventionRow(v, { id, importId: 'form', file: '', sha256: '', row: 0, actor });
  await insertDemands(e, [row]);
  await audit(db, actor, 'ledger.intervention.create', 'ledger_row', id, null, { provider: v.provider, layer: row.stack_layer, action: v.action, target: v.target, tlp: v.tlp });
  return row;
}

const CSV_FIELDS: Record<string, string> = {
  provider: 'provider', layer: 'layer', action: 'action', requester_country: 'requesterCountry', requester_type: 'requesterType', requester: 'requester',
  legal_basis: 'legalBasis', target: 'target', start_date: 'startDate', end_date: 'endDate', outcome: 'outcome', sources: 'sources', tlp: 'tlp',
};

/** Interventions from a CSV (columns: provider, layer, action, requester_country, …, tlp). Bad rows are flagged. */
export async function importInterventionsCsv(db: Db, e: LedgerEngine, actor: Actor, text: string, fileName: string): Promise<ImportSummary> {
  requirePerm(actor, 'ledger:write');
  const sha256 = sha256Of(text);
  const s = await runRowImport(e, { dataset: 'interventions', fileName, sha256, orgId: actor.orgId, createdBy: actor.userId ?? actor.label }, async (importId) => {
    const recs = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
    const header = (recs[0] ?? []).map((h) => h.trim().toLowerCase());
    const unknown = header.filter((h) => !CSV_FIELDS[h]);
    if (unknown.length) throw badRequest(`Unknown column(s) ${unknown.join(', ')}; use ${Object.keys(CSV_FIELDS).join(', ')}.`, 'file');
    const rows: DemandRow[] = [];
    const flags: Flag[] = [];
    for (let i = 1; i < recs.length; i++) {
      const rec = recs[i]!;
      if (rec.length !== header.length) {
        flags.push({ part: '', row_no: i + 1, reason: `expected ${header.length} columns, found ${rec.length}`, raw: rec.join(',') });
        continue;
      }
      const o: Record<string, unknown> = {};
      header.forEach((h, k) => {
        const val = (rec[k] ?? '').trim();
        if (val === '') return;
        o[CSV_FIELDS[h]!] = h === 'sources' ? val.split(/[\s;]+/).filter(Boolean) : h === 'requester_country' ? val : val;
      });
      const p = InterventionInput.safeParse(o);
      if (!p.success) {
        flags.push({ part: '', row_no: i + 1, reason: p.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; '), raw: rec.join(',') });
        continue;
      }
      rows.push(interventionRow(p.data, { id: `${importId}:${i + 1}`, importId, file: fileName, sha256, row: i + 1, actor }));
    }
    return { rows, flags, rowsRead: recs.length - 1 };
  });
  if (!s.skipped) await audit(db, actor, 'ledger.interventions.import', 'ledger_import', s.importId, null, { file: fileName, sha256, loaded: s.rowsLoaded, flagged: s.rowsFlagged });
  return s;
}

// ---- Surges and the registry link ------------------------------------------------------------------------

/**
 * The surge rule: a country's requests in a half-year (Google, low end of ranges) exceed twice the mean of its
 * previous four half-years, and are at least 50. A country needs four earlier half-years to be judged.
 */
export const SURGE_RULE = { factor: 2, window: 4, minimum: 50 } as const;

export interface Surge {
  country: string;
  halfYear: string;
  requests: number;
  trailingMean: number;
  previous: { halfYear: string; requests: number }[];
}

export async function findSurges(e: LedgerEngine, actor: Actor, f: { country?: string } = {}): Promise<Surge[]> {
  const r = await runQuery(e, 'compliance', { ...(f.country ? { country: f.country } : {}), by: 'country,half_year', series: 'google' }, actor);
  const by = new Map<string, { halfYear: string; requests: number }[]>();
  for (const row of r.rows) {
    const list = by.get(String(row.country)) ?? [];
    list.push({ halfYear: String(row.half_year), requests: Number(row.requests_low) });
    by.set(String(row.country), list);
  }
  const out: Surge[] = [];
  for (const [country, list] of by) {
    list.sort((a, b) => a.halfYear.localeCompare(b.halfYear));
    for (let i = SURGE_RULE.window; i < list.length; i++) {
      const prev = list.slice(i - SURGE_RULE.window, i);
      // the four previous half-years must be consecutive (a gap means no report, not zero requests)
      const expect = (h: string, back: number) => {
        const [y, s] = h.split('-H').map(Number) as [number, number];
        const idx = y * 2 + (s - 1) - back;
        return `${Math.floor(idx / 2)}-H${(idx % 2) + 1}`;
      };
      if (prev.some((p, k) => p.halfYear !== expect(list[i]!.halfYear, SURGE_RULE.window - k))) continue;
      const mean = prev.reduce((s, p) => s + p.requests, 0) / prev.length;
      const cur = list[i]!;
      if (cur.requests >= SURGE_RULE.minimum && cur.requests > SURGE_RULE.factor * mean) out.push({ country, halfYear: cur.halfYear, requests: cur.requests, trailingMean: Math.round(mean * 10) / 10, previous: prev });
    }
  }
  return out.sort((a, b) => a.country.localeCompare(b.country) || a.halfYear.localeCompare(b.halfYear));
}

const halfBounds = (h: string) => {
  const [y, s] = h.split('-H');
  return s === '1' ? { start: `${y}-01-01`, end: `${y}-06-30` } : { start: `${y}-07-01`, end: `${y}-12-31` };
};

export interface LinkOutcome {
  key: string;
  incidentId: string | null;
  created: boolean;
  attachedTo: 'new' | 'existing' | 'none';
  reason?: string;
}

/** Opens (or finds) a draft takedown incident for each surge, with the half-year's ledger rows as evidence. */
export async function linkSurges(db: Db, e: LedgerEngine, actor: Actor, surges: Surge[]): Promise<LinkOutcome[]> {
  requirePerm(actor, 'incidents:write');
  const out: LinkOutcome[] = [];
  for (const s of surges) {
    const { start, end } = halfBounds(s.halfYear);
    const key = `ledger:surge:${s.country}:${s.halfYear}`;
    const rows = await e.all(
      `SELECT id, requester_type, requester_raw, requests_low, requests_high, items_low, pct_complied, source_file, file_sha256, source_row FROM ledger_demands
       WHERE dataset = 'google-summary' AND requester_country = ${lit(e.dialect, s.country)} AND period_end = ${lit(e.dialect, end)} AND ${visibleDemands(e.dialect, actor)} ORDER BY id`,
    );
    const summary = `${s.requests} government removal requests to Google in ${s.halfYear}, more than ${SURGE_RULE.factor}× the mean of the previous ${SURGE_RULE.window} half-years (${s.trailingMean}).`;
    // an incident about takedowns in this country during the half-year (an analyst's, or ours from an earlier run)
    const existing = await findOverlappingIncidents(db, { country: s.country, typePrefixes: ['takedown'], from: new Date(`${start}T00:00:00Z`), to: new Date(`${end}T23:59:59Z`), actor });
    let incidentId: string;
    let created = false;
    let attachedTo: LinkOutcome['attachedTo'] = 'existing';
    const mine = existing.find((i) => i.origin === 'ledger' && i.title.includes(s.halfYear));
    if (existing.length) incidentId = (mine ?? existing[0]!).id;
    else {
      const inc = await createIncident(db, actor, {
        type: 'takedown.content', title: `Surge of takedown demands in ${s.country}, ${s.halfYear}`, country: s.country, startAt: start, endAt: end, status: 'draft',
        severity: s.requests > 5 * s.trailingMean ? 'high' : 'medium', tlp: 'TLP:CLEAR', summary: `${summary} Rule: ${describeSurgeRule()}`, origin: 'ledger', originKey: key,
        tags: ['ledger', 'surge'], actors: [{ name: `Government of ${s.country}`, role: 'requested_by' }], services: ['Google'],
      });
      incidentId = inc.id;
      created = inc.created !== false;
      attachedTo = 'new';
    }
    await attachEvidence(db, actor, incidentId, {
      kind: 'takedown_record', ref: key, summary, data: { surge: s, rule: SURGE_RULE, caveat: Caveats.google, rows },
    });
    out.push({ key, incidentId, created, attachedTo });
  }
  return out;
}

export function describeSurgeRule(): string {
  return `a half-year's requests > ${SURGE_RULE.factor}× the mean of the previous ${SURGE_RULE.window} consecutive half-years, and ≥ ${SURGE_RULE.minimum}`;
}

const ACTION_TYPE: Record<InterventionAction, IncidentType> = {
  domain_suspended: 'infrastructure.domain', domain_seized: 'infrastructure.domain', hosting_terminated: 'infrastructure.hosting', cdn_dropped: 'infrastructure.cdn',
  certificate_revoked: 'infrastructure.certificate', payments_cut: 'infrastructure.payment', app_removed: 'takedown.content', other: 'other',
};

/** Each intervention becomes a draft incident (or evidence on an incident about the same target at the same time). */
export async function linkInterventions(db: Db, e: LedgerEngine, actor: Actor, f: { country?: string } = {}): Promise<LinkOutcome[]> {
  requirePerm(actor, 'incidents:write');
  const w = [`record_kind = 'intervention'`, visibleDemands(e.dialect, actor)];
  if (f.country) w.push(`requester_country = ${lit(e.dialect, f.country)}`);
  const rows = await e.all(`SELECT id, requester_country, platform, stack_layer, action, target, CAST(period_start AS VARCHAR) AS ps, CAST(period_end AS VARCHAR) AS pe, tlp, sources, legal_basis_raw, requester_raw FROM ledger_demands WHERE ${w.join(' AND ')} ORDER BY id`);
  const out: LinkOutcome[] = [];
  for (const r of rows) {
    const key = `ledger:intervention:${createHash('sha256').update(String(r.id)).digest('hex').slice(0, 24)}`;
    if (!r.requester_country) {
      out.push({ key, incidentId: null, created: false, attachedTo: 'none', reason: 'no country: an incident needs one' });
      continue;
    }
    const type = ACTION_TYPE[r.action as InterventionAction] ?? 'other';
    const summary = `${r.platform} (${r.stack_layer}): ${String(r.action).replace(/_/g, ' ')} — ${r.target}`;
    const same = (await findOverlappingIncidents(db, { country: String(r.requester_country), typePrefixes: [type], from: new Date(`${r.ps}T00:00:00Z`), to: new Date(`${r.pe}T23:59:59Z`), actor })).find(
      (i) => i.title.toLowerCase().includes(String(r.target).toLowerCase()),
    );
    let incidentId: string;
    let created = false;
    if (same) incidentId = same.id;
    else {
      const inc = await createIncident(db, actor, {
        type, title: `${String(r.action).replace(/_/g, ' ')}: ${r.target} (${r.platform})`.slice(0, 300), country: String(r.requester_country), startAt: String(r.ps), endAt: String(r.pe),
        status: 'draft', tlp: r.tlp as 'TLP:CLEAR', summary, origin: 'ledger', originKey: key, tags: ['ledger', 'infrastructure', String(r.stack_layer)], services: [String(r.platform)],
      });
      incidentId = inc.id;
      created = inc.created !== false;
    }
    await attachEvidence(db, actor, incidentId, { kind: 'takedown_record', ref: `ledger:row:${r.id}`, summary, data: { row: r, caveat: Caveats.interventions } });
    out.push({ key, incidentId, created, attachedTo: same ? 'existing' : 'new' });
  }
  return out;
}

// ---- Pressure timeline -----------------------------------------------------------------------------------

export interface TimelineItem {
  lane: 'demands' | 'interventions' | 'blocking' | 'shutdowns' | 'laws';
  start: string;
  end: string | null;
  title: string;
  value?: number;
  share?: number | null;
  ref?: string;
  kind?: string;
}

/** Everything known of one country's pressure on the internet, lane by lane, for [from, to] (dates). */
export async function pressureTimeline(db: Db, e: LedgerEngine, actor: Actor, cc: string, from: string, to: string): Promise<{ country: string; from: string; to: string; items: TimelineItem[]; caveats: Record<string, string> }> {
  requirePerm(actor, 'ledger:read');
  const items: TimelineItem[] = [];
  const fromY = Number(from.slice(0, 4));
  const toY = Number(to.slice(0, 4));
  const demands = await runQuery(e, 'compliance', { country: cc, by: 'half_year', series: 'google', from: fromY, to: toY }, actor);
  for (const r of demands.rows) {
    const b = halfBounds(String(r.half_year));
    if (b.end < from || b.start > to) continue;
    items.push({ lane: 'demands', start: b.start, end: b.end, title: `${r.requests_low} requests to Google (${r.half_year})`, value: Number(r.requests_low), share: r.share_removed === null ? null : Number(r.share_removed), kind: 'google' });
  }
  const rows = await runQuery(e, 'rows', { country: cc, google: 'exclude', limit: 1000 }, actor);
  for (const r of rows.rows) {
    if (r.dataset !== 'interventions' && r.dataset !== 'lumen' && !String(r.dataset).startsWith('generic:')) continue;
    const s = String(r.period_start);
    if (s > to || String(r.period_end) < from) continue;
    items.push({
      lane: r.record_kind === 'intervention' ? 'interventions' : 'demands', start: s, end: String(r.period_end), kind: String(r.dataset),
      title: r.record_kind === 'intervention' ? `${r.platform}: ${String(r.action).replace(/_/g, ' ')} — ${r.target}` : `${r.platform}: ${r.legal_basis_raw || r.reason} (${r.outcome})`,
      ref: String(r.id),
    });
  }
  const blocked = await blockedDomainsOverTime(db, { country: cc, from, to });
  for (const b of blocked) if (b.blockedDomains > 0) items.push({ lane: 'blocking', start: b.day, end: b.day, title: `${b.blockedDomains} of ${b.testedDomains} tested domains blocked`, value: b.blockedDomains, kind: 'measure' });
  const inc = await findOverlappingIncidents(db, { country: cc, from: new Date(`${from}T00:00:00Z`), to: new Date(`${to}T23:59:59Z`), actor });
  for (const i of inc) {
    const lane = i.type.startsWith('shutdown') || i.type.startsWith('throttling') ? 'shutdowns' : i.type.startsWith('blocking') ? 'blocking' : i.type.startsWith('takedown') || i.type.startsWith('infrastructure') ? 'interventions' : null;
    if (!lane) continue;
    items.push({ lane, start: (i.startAt ?? from).slice(0, 10), end: i.endAt ? i.endAt.slice(0, 10) : null, title: i.title, ref: `incident:${i.id}`, kind: i.type });
  }
  const fromS = Math.floor(Date.parse(`${from}T00:00:00Z`) / 1000);
  const toS = Math.floor(Date.parse(`${to}T23:59:59Z`) / 1000);
  for (const ev of await listEvents(db, { country: cc, from: fromS, to: toS, limit: 500 })) {
    if (ev.incidentId) continue; // shown through its incident
    items.push({ lane: 'shutdowns', start: new Date(ev.start * 1000).toISOString().slice(0, 10), end: ev.end === null ? null : new Date(ev.end * 1000).toISOString().slice(0, 10), title: `Detected ${ev.kind} (${ev.entity})`, ref: `outage:${ev.id}`, kind: 'outages' });
  }
  const laws = await listLaws(db, actor, { country: cc, page: 1, pageSize: 200 });
  for (const l of laws.items) {
    const dated = l.timeline.length ? l.timeline : [{ status: l.status, date: l.createdAt }];
    for (const t of dated) {
      const d = t.date.slice(0, 10);
      if (d < from || d > to) continue;
      items.push({ lane: 'laws', start: d, end: d, title: `${l.title}: ${t.status.replace(/_/g, ' ')}`, ref: `law:${l.id}`, kind: t.status });
    }
  }
  items.sort((a, b) => a.start.localeCompare(b.start) || a.lane.localeCompare(b.lane));
  return { country: cc, from, to, items, caveats: { demands: Caveats.google, interventions: Caveats.interventions } };
}
