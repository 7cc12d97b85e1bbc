/**
 * From detected events to the registry. Events are stored in `outage_events` (a re-run updates the stored event
 * that overlaps it — same entity and kind, overlapping time — instead of adding one), then each becomes a draft
 * incident, or evidence on an existing incident of the same country whose time overlaps it (found through
 * `findOverlappingIncidents`). Analysts confirm or reject events; the decisions feed `outages evaluate --registry`.
 * The wing never touches the incidents tables: it calls the registry's service functions.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../platform/db.js';
import { audit } from '../platform/audit.js';
import { attachEvidence, createIncident, findOverlappingIncidents, getIncident, systemActor, type Actor } from '../incidents/service.js';
import { countryName } from '../core/countries.js';
import { badRequest, notFound } from '../core/errors.js';
import type { IncidentType } from '../core/taxonomy.js';
import { isoUtc, type LabelledEvent, type OutageEvent } from './model.js';
import type { SeriesResult } from './detect/index.js';
import { eventPlot, plotSvg } from './evidence.js';
import { eventJson } from './cli-common.js';

export interface StoredEvent extends OutageEvent {
  id: string;
  incidentId: string | null;
  decision: 'confirmed' | 'rejected' | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string;
  source: string;
}

const toSec = (v: unknown) => (v === null || v === undefined ? null : Math.round(new Date(v as string).getTime() / 1000));

function rowToEvent(r: Record<string, unknown>): StoredEvent {
  return {
    id: r.id as string,
    entity: r.entity as string,
    scope: r.scope as StoredEvent['scope'],
    country: r.country ? (r.country as string).trim() : null,
    ...(r.name ? { name: r.name as string } : {}),
    kind: r.kind as StoredEvent['kind'],
    start: toSec(r.start_at)!,
    end: toSec(r.end_at),
    firstAlertAt: toSec(r.first_alert_at)!,
    depth: Number(r.depth),
    minRatio: Number((r.evidence as { minRatio?: number } | null)?.minRatio ?? 0),
    severity: Number(r.severity),
    confidence: Number(r.confidence),
    signals: (r.signals as string[]) ?? [],
    ...(r.members ? { members: r.members as StoredEvent['members'] } : {}),
    points: Number((r.evidence as { points?: number } | null)?.points ?? 0),
    ...((r.evidence as { memberEvents?: unknown } | null)?.memberEvents ? { memberEvents: (r.evidence as { memberEvents: StoredEvent['memberEvents'] }).memberEvents } : {}),
    ...((r.evidence as { dataEnd?: number } | null)?.dataEnd !== undefined ? { dataEnd: Number((r.evidence as { dataEnd: number }).dataEnd) } : {}),
    incidentId: (r.incident_id as string | null) ?? null,
    decision: (r.decision as StoredEvent['decision']) ?? null,
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: r.decided_at ? new Date(r.decided_at as string).toISOString() : null,
    decisionNote: (r.decision_note as string) ?? '',
    source: (r.source as string) ?? '',
  };
}

export interface SaveResult {
  event: StoredEvent;
  created: boolean;
}

/**
 * Stores detected events. An event that overlaps a stored one of the same entity and kind updates it (its end,
 * depth and numbers may have grown); otherwise it is added. Running detection again never duplicates an event.
 */
export async function saveEvents(db: Db, events: OutageEvent[], opts: { source: string; perSeries?: SeriesResult[] }): Promise<SaveResult[]> {
  const out: SaveResult[] = [];
  for (const e of events) {
    const plot = opts.perSeries ? eventPlot(e, opts.perSeries) : null;
    const evidence = {
      minRatio: e.minRatio,
      points: e.points,
      ...(e.dataEnd !== undefined ? { dataEnd: e.dataEnd } : {}),
      ...(e.memberEvents ? { memberEvents: e.memberEvents } : {}),
      ...(plot ? { plot, svg: plotSvg(plot, e) } : {}),
    };
    const res = await db.transaction(async (tx) => {
      const existing = (
        await tx.query<Record<string, unknown>>(
          `select * from outage_events where entity = $1 and kind = $2
             and start_at <= coalesce($4::timestamptz, 'infinity') and coalesce(end_at, 'infinity') >= $3::timestamptz
           order by start_at limit 1 for update`,
          [e.entity, e.kind, isoUtc(e.start), e.end === null ? null : isoUtc(e.end)],
        )
      ).rows[0];
      const values = [
        e.entity, e.scope, e.country, e.name ?? null, e.kind, isoUtc(e.start), e.end === null ? null : isoUtc(e.end), isoUtc(e.firstAlertAt),
        e.depth, e.severity, e.confidence, e.signals, e.members ? JSON.stringify(e.members) : null, JSON.stringify(evidence), opts.source,
      ];
      if (existing) {
        const r = await tx.query<Record<string, unknown>>(
          `update outage_events set entity=$2, scope=$3, country=$4, name=$5, kind=$6,
             start_at = least(start_at, $7::timestamptz), end_at = $8::timestamptz, first_alert_at = least(first_alert_at, $9::timestamptz),
             depth=$10, severity=$11, confidence=$12, signals=$13, members=$14::jsonb, evidence=$15::jsonb, source=$16, updated_at=now()
           where id = $1 returning *`,
          [existing.id, ...values],
        );
        return { event: rowToEvent(r.rows[0]!), created: false };
      }
      const r = await tx.query<Record<string, unknown>>(
        `insert into outage_events (id, entity, scope, country, name, kind, start_at, end_at, first_alert_at, depth, severity, confidence, signals, members, evidence, source)
         values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14::jsonb,$15::jsonb,$16) returning *`,
        [randomUUID(), ...values],
      );
      return { event: rowToEvent(r.rows[0]!), created: true };
    });
    out.push(res);
  }
  return out;
}

export function incidentTypeFor(e: Pick<OutageEvent, 'kind' | 'scope'>): IncidentType {
  if (e.kind === 'throttling') return 'throttling';
  return e.scope === 'region' ? 'shutdown.regional' : 'shutdown.full';
}

export function severityLabel(score: number): 'low' | 'medium' | 'high' | 'critical' {
  return score >= 70 ? 'critical' : score >= 45 ? 'high' : score >= 20 ? 'medium' : 'low';
}

function describe(e: OutageEvent): { title: string; summary: string } {
  const where = e.country ? countryName(e.country) : 'unknown country';
  const what = e.kind === 'throttling' ? 'Sustained partial connectivity drop (possible throttling)' : e.depth >= 0.75 ? 'Connectivity loss' : 'Partial connectivity loss';
  const scope = e.scope === 'country' ? 'nationwide' : e.scope === 'region' ? (e.name ?? e.entity) : `network ${e.entity}${e.name ? ` (${e.name})` : ''}`;
  const title = `${what} in ${where}, ${scope} — detected ${isoUtc(e.start).slice(0, 10)}`;
  const place = e.scope === 'country' ? `${where}, nationwide` : e.scope === 'region' ? `region ${e.name ?? e.entity} (${where})` : `network ${e.entity} (${where})`;
  const to = e.end === null ? `${e.dataEnd !== undefined ? isoUtc(e.dataEnd) : 'the end of the data'} (still out when the data ends)` : isoUtc(e.end);
  const summary =
    `Detected by Stackwatch outages from ${e.signals.join(', ')} in ${place}: ${(e.depth * 100).toFixed(0)} % of connectivity lost ` +
    `from ${isoUtc(e.start)} to ${to}; severity ${e.severity}/100, confidence ${e.confidence}` +
    (e.members ? `; ${e.members.affected} of ${e.members.total} ${e.members.entities.some((m) => m.startsWith('AS')) ? 'networks' : 'regions'} affected` : '') +
    '. Machine-made draft: an analyst must confirm or reject it.';
  return { title, summary };
}

/** When an event is known to have lasted until: its end, or — still open — the end of the data it was judged on. */
export function eventUntil(e: Pick<OutageEvent, 'start' | 'end' | 'firstAlertAt' | 'dataEnd'>): number {
  if (e.end !== null) return e.end;
  return e.dataEnd ?? Math.max(e.start, e.firstAlertAt);
}

const GENERIC_PLACE_WORDS = new Set(['north', 'south', 'east', 'west', 'central', 'province', 'region', 'state', 'city', 'county', 'district', 'and', 'the', 'of', 'governorate', 'capital', 'distrito']);

function placeTokens(s: string): string[] {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length >= 3 && !GENERIC_PLACE_WORDS.has(t));
}

/** Two place names name the same place: a shared distinctive word (or a 5-letter common prefix: Baluchestan ~ Baluchistan). */
export function samePlace(a: string, b: string): boolean {
  const ta = placeTokens(a);
  const tb = placeTokens(b);
  return ta.some((x) => tb.some((y) => x === y || (x.length >= 5 && y.length >= 5 && x.slice(0, 5) === y.slice(0, 5))));
}

const NATIONAL_AREA = /\bnation(al|wide)?\b|entire country|whole country|countrywide|all (the )?country/i;

/** An incident is national when it is not a regional shutdown and names no area (or a nationwide one). */
export function isNationalIncident(i: { type: string; area: string | null }): boolean {
  if (i.type === 'shutdown.regional') return false;
  return !i.area || !i.area.trim() || NATIONAL_AREA.test(i.area);
}

/** Whether a detected event may be evidence on an incident, by place (see linkEvents). */
export function placeMatches(e: Pick<OutageEvent, 'scope' | 'entity' | 'name'>, i: { type: string; area: string | null; networks: { asn?: number | null }[] }): boolean {
  if (isNationalIncident(i)) return true;
  if (e.scope === 'country') return false;
  if (e.scope === 'region') {
    if (!i.area) return false;
    const names = (e.name ?? e.entity.split('/').slice(1).join(' / ')).split(' / ');
    // the province (first name) decides: a county joins its province's incident, not another province's
    return samePlace(names[0] ?? '', i.area) || names.slice(1).some((n) => samePlace(n, i.area!));
  }
  const asn = Number(e.entity.replace(/^AS/i, ''));
  return i.networks.some((n) => n.asn === asn);
}

export interface LinkResult {
  eventId: string;
  incidentId: string | null;
  action: 'created' | 'merged' | 'unchanged' | 'skipped';
  reason?: string;
}

/** Links stored events to the registry: merge into an overlapping incident, or create a draft. Idempotent. */
export async function linkEvents(db: Db, events: StoredEvent[], opts: { actor?: Actor; tlp?: 'TLP:CLEAR' | 'TLP:GREEN' | 'TLP:AMBER' } = {}): Promise<LinkResult[]> {
  const actor = opts.actor ?? (await systemActor(db));
  const out: LinkResult[] = new Array(events.length);
  // where each candidate incident is (type, area, networks), read once per run through the registry's service
  const places = new Map<string, { type: string; area: string | null; networks: { asn?: number | null }[] }>();
  // national events first, so that regional and network events of the same time join them
  const rank = { country: 0, region: 1, network: 2 } as const;
  const order = events.map((_, i) => i).sort((a, b) => rank[events[a]!.scope] - rank[events[b]!.scope] || events[a]!.start - events[b]!.start);
  for (const idx of order) {
    const e = events[idx]!;
    const push = (r: LinkResult) => {
      out[idx] = r;
    };
    if (!e.country) {
      push({ eventId: e.id, incidentId: null, action: 'skipped', reason: 'no country known for this entity' });
      continue;
    }
    if (e.decision === 'rejected') {
      push({ eventId: e.id, incidentId: e.incidentId, action: 'skipped', reason: 'rejected by an analyst' });
      continue;
    }
    let incidentId = e.incidentId;
    let action: LinkResult['action'] = 'unchanged';
    if (!incidentId) {
      // time: an event still open at the end of its data is known to last until the data ends — not forever
      const until = eventUntil(e);
      const overlapping = await findOverlappingIncidents(db, {
        country: e.country,
        typePrefixes: ['shutdown', 'throttling'],
        from: new Date(e.start * 1000),
        to: new Date(until * 1000),
        actor,
      });
      // place: a national event joins only national incidents; a region joins its own region's incidents or
      // national ones; a network joins national incidents or incidents naming that network
      const placed: typeof overlapping = [];
      for (const i of overlapping) {
        let where = places.get(i.id);
        if (!where) {
          const inc = await getIncident(db, actor, i.id);
          where = { type: inc.type, area: inc.area ?? null, networks: inc.networks ?? [] };
          places.set(i.id, where);
        }
        if (placeMatches(e, where)) placed.push(i);
      }
      // same type first; then anything people or importers recorded; our own national drafts absorb
      // regional and network events of their country
      const wanted = incidentTypeFor(e);
      const pick =
        placed.find((i) => i.type === wanted) ??
        placed.find((i) => i.origin !== 'outages') ??
        (e.scope !== 'country' ? placed.find((i) => i.type === 'shutdown.full') : undefined);
      if (pick) {
        incidentId = pick.id;
        action = 'merged';
      } else {
        const { title, summary } = describe(e);
        const inc = await createIncident(db, actor, {
          type: incidentTypeFor(e),
          title,
          country: e.country,
          area: e.scope === 'region' ? (e.name ?? e.entity.split('/').slice(1).join(' / ')) : null,
          networks: e.scope === 'network' ? [{ asn: Number(e.entity.slice(2)), ...(e.name ? { name: e.name } : {}) }] : [],
          startAt: isoUtc(e.start),
          startPrecision: 'minute',
          endAt: e.end === null ? null : isoUtc(e.end),
          endPrecision: 'minute',
          status: 'draft',
          severity: severityLabel(e.severity),
          tlp: opts.tlp ?? 'TLP:GREEN',
          summary,
          tags: ['detected', `signal:${e.signals.join('+')}`],
          confidence: e.confidence,
          origin: 'outages',
          originKey: `outages:${e.id}`,
        });
        incidentId = inc.id;
        action = inc.created === false ? 'unchanged' : 'created';
      }
      await db.query('update outage_events set incident_id = $2, updated_at = now() where id = $1', [e.id, incidentId]);
    }
    const stored = (await db.query<{ evidence: Record<string, unknown> }>('select evidence from outage_events where id = $1', [e.id])).rows[0];
    const ev = await attachEvidence(db, actor, incidentId, {
      kind: 'outage_event',
      ref: `outages:${e.id}`,
      summary: describe(e).summary,
      data: { eventId: e.id, ...(stored?.evidence ?? {}), ...eventJson(e) },
    });
    if (action === 'unchanged' && ev.created) action = 'merged';
    push({ eventId: e.id, incidentId, action });
  }
  return out;
}

export interface EventFilter {
  country?: string;
  entity?: string;
  from?: number;
  to?: number;
  decision?: 'confirmed' | 'rejected' | 'pending';
  scope?: 'country' | 'region' | 'network';
  limit?: number;
}

export async function listEvents(db: Queryable, f: EventFilter = {}): Promise<StoredEvent[]> {
  const p: unknown[] = [];
  const w: string[] = [];
  if (f.country) w.push(`country = $${p.push(f.country)}`);
  if (f.entity) w.push(`entity = $${p.push(f.entity)}`);
  if (f.scope) w.push(`scope = $${p.push(f.scope)}`);
  if (f.from !== undefined) w.push(`coalesce(end_at, 'infinity') >= $${p.push(isoUtc(f.from))}::timestamptz`);
  if (f.to !== undefined) w.push(`start_at <= $${p.push(isoUtc(f.to))}::timestamptz`);
  if (f.decision === 'pending') w.push('decision is null');
  else if (f.decision) w.push(`decision = $${p.push(f.decision)}`);
  const limit = Math.min(Math.max(1, f.limit ?? 100), 1000);
  const r = await db.query<Record<string, unknown>>(`select * from outage_events ${w.length ? `where ${w.join(' and ')}` : ''} order by start_at desc limit ${limit}`, p);
  return r.rows.map(rowToEvent);
}

export async function getEvent(db: Queryable, id: string): Promise<StoredEvent & { evidence: Record<string, unknown> }> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('Outage event');
  const r = (await db.query<Record<string, unknown>>('select * from outage_events where id = $1', [id])).rows[0];
  if (!r) throw notFound('Outage event');
  return { ...rowToEvent(r), evidence: (r.evidence as Record<string, unknown>) ?? {} };
}

/**
 * An analyst's decision on a detected event, written to the audit log in the same transaction. `by` is the signed-in
 * actor (console, API) or, from the CLI, the name given with --by (recorded under the system organisation).
 */
export async function decideEvent(db: Db, id: string, decision: 'confirmed' | 'rejected', by: string | Actor, note = ''): Promise<StoredEvent> {
  if (!['confirmed', 'rejected'].includes(decision)) throw badRequest('decision must be confirmed or rejected', 'decision');
  const name = typeof by === 'string' ? by.trim() : by.label;
  if (!name) throw badRequest('the decision needs the name of who made it', 'by');
  await getEvent(db, id);
  const actor: Actor = typeof by === 'string' ? { ...(await systemActor(db)), label: `cli: ${name}` } : by;
  return db.transaction(async (tx) => {
    const before = (await tx.query<Record<string, unknown>>('select decision, decided_by, decision_note from outage_events where id = $1 for update', [id])).rows[0];
    const r = await tx.query<Record<string, unknown>>(
      `update outage_events set decision = $2, decided_by = $3, decided_at = now(), decision_note = $4, updated_at = now() where id = $1 returning *`,
      [id, decision, name, note],
    );
    const e = rowToEvent(r.rows[0]!);
    await audit(tx, actor, decision === 'confirmed' ? 'outages.event.confirm' : 'outages.event.reject', 'outage_event', id,
      before ? { decision: before.decision ?? null, decidedBy: before.decided_by ?? null, note: before.decision_note ?? '' } : null,
      { decision, decidedBy: name, note, entity: e.entity, start: isoUtc(e.start), incidentId: e.incidentId });
    return e;
  });
}

/**
 * Labels from the registry for evaluation: incidents of type shutdown.* / throttling in the given countries and
 * time range that did NOT come from this detector (STOP, IODA, analysts), as country labels; plus events an
 * analyst confirmed (rejected ones are known false alarms and give no label).
 */
export async function registryLabels(db: Db, q: { countries: string[]; from: number; to: number }): Promise<LabelledEvent[]> {
  const actor = await systemActor(db);
  const labels: LabelledEvent[] = [];
  for (const cc of q.countries) {
    const incs = await findOverlappingIncidents(db, { country: cc, typePrefixes: ['shutdown', 'throttling'], from: new Date(q.from * 1000), to: new Date(q.to * 1000), actor });
    for (const i of incs) {
      if (i.origin === 'outages' || !i.startAt) continue;
      labels.push({
        entity: cc,
        scope: 'country',
        country: cc,
        kind: i.type === 'throttling' ? 'partial' : 'full',
        start: Date.parse(i.startAt) / 1000,
        end: i.endAt ? Date.parse(i.endAt) / 1000 : null,
        source: `registry:${i.origin}:${i.id}`,
        note: i.title,
      });
    }
  }
  const confirmed = await listEvents(db, { decision: 'confirmed', from: q.from, to: q.to, limit: 1000 });
  for (const e of confirmed) {
    if (e.country && !q.countries.includes(e.country)) continue;
    labels.push({ entity: e.entity, scope: e.scope, country: e.country, kind: e.kind === 'throttling' ? 'partial' : 'full', start: e.start, end: e.end, source: `analyst:${e.id}` });
  }
  return labels;
}
