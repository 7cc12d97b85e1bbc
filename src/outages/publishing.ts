import type { Queryable } from '../platform/db.js';

/**
 * The outages wing's public face, for the publish wing: outage events that a person confirmed in review
 * (`decision = 'confirmed'`). Detected but unreviewed or rejected events never leave the wing.
 */
export interface PublicOutageEvent {
  id: string;
  entity: string;
  scope: string;
  country: string | null;
  name: string | null;
  kind: string;
  startAt: string;
  endAt: string | null;
  depth: number;
  signals: string[];
  incidentId: string | null;
  updatedAt: string;
}

const iso = (d: unknown) => (d == null ? null : new Date(d as string).toISOString());

function row(r: Record<string, unknown>): PublicOutageEvent {
  return {
    id: r.id as string, entity: r.entity as string, scope: r.scope as string, country: r.country ? (r.country as string).trim() : null,
    name: (r.name as string | null) ?? null, kind: r.kind as string, startAt: iso(r.start_at)!, endAt: iso(r.end_at), depth: Number(r.depth),
    signals: (r.signals as string[]) ?? [], incidentId: (r.incident_id as string | null) ?? null, updatedAt: iso(r.updated_at)!,
  };
}

const COLS = 'id, entity, scope, country, name, kind, start_at, end_at, depth, signals, incident_id, updated_at';

export async function publicOutageEvents(db: Queryable, f: { country?: string; limit?: number } = {}): Promise<PublicOutageEvent[]> {
  const p: unknown[] = [];
  let c = '';
  if (f.country) { p.push(f.country); c = ' and country = $1'; }
  const r = await db.query(`select ${COLS} from outage_events where decision = 'confirmed'${c} order by start_at desc limit ${Math.max(1, Math.min(50_000, f.limit ?? 1000))}`, p);
  return r.rows.map(row);
}

/** Confirmed events changed since a moment (the publish wing turns openings and closings into alerts). */
export async function publicOutageEventsChangedSince(db: Queryable, since: string): Promise<PublicOutageEvent[]> {
  const r = await db.query(`select ${COLS} from outage_events where decision = 'confirmed' and updated_at > $1::timestamptz order by updated_at limit 1000`, [since]);
  return r.rows.map(row);
}
