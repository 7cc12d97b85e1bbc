import type { Queryable } from '../platform/db.js';

/**
 * Likely duplicates (docs/registry.md). Two incidents of one organisation are likely duplicates when
 *  1. they are in the same country;
 *  2. they start within two days of each other and their active spans overlap (one day of tolerance each side, as
 *     STOP records days and IODA minutes);
 *  3. their types are of one family (network disruptions: shutdowns, throttling and unattributed outages; blocking;
 *     takedowns; accounts; infrastructure; threats; surveillance; device seizure);
 *  4. their places agree: both nationwide (no area, or tagged nationwide), or both regional with a place name in
 *     common (a word of four letters or more, compared without accents or case).
 * A national and a regional record of the same days are not duplicates: one is a part of the other, and both stay.
 * The pairs are stored (incident_duplicates) and shown to analysts, who merge or dismiss them; nothing is merged
 * automatically.
 */

export interface DuplicateCandidate {
  id: string;
  title: string;
  type: string;
  startAt: string | null;
  endAt: string | null;
  endState: string;
  area: string | null;
  origin: string;
  status: string;
  reasons: string[];
  score: number;
  state: string;
}

const FAMILIES: [RegExp, string][] = [
  [/^(shutdown\.|throttling$|other$)/, 'network disruption'],
  [/^blocking\./, 'blocking'],
  [/^takedown\./, 'takedown'],
  [/^account\./, 'account'],
  [/^infrastructure\./, 'infrastructure'],
  [/^threat\./, 'threat'],
  [/^surveillance\./, 'surveillance'],
  [/^device\./, 'device'],
];

export function typeFamily(type: string): string {
  return FAMILIES.find(([re]) => re.test(type))?.[1] ?? type;
}

function fold(s: string): string {
  return s.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
}

const AREA_STOPWORDS = new Set(['region', 'regions', 'state', 'states', 'district', 'districts', 'province', 'provinces', 'city', 'county', 'area', 'areas', 'township', 'townships', 'parts', 'national', 'nationwide', 'except', 'including', 'some', 'several', 'other', 'with', 'from', 'division', 'governorate', 'zone']);

function placeWords(area: string): Set<string> {
  return new Set(fold(area).split(' ').filter((w) => w.length >= 4 && !AREA_STOPWORDS.has(w)));
}

interface Row {
  id: string;
  type: string;
  area: string | null;
  tags: string[];
  start_at: Date | string;
  active_until: Date | string | null;
  end_at: Date | string | null;
  start_precision: string;
  end_precision: string;
}

const isNational = (r: Row) => !r.area || r.tags.includes('nationwide');

/** Why two overlapping incidents of one country are (or are not) likely duplicates; null when they are not. */
export function duplicateReasons(a: Row, b: Row): { reasons: string[]; score: number } | null {
  const fa = typeFamily(a.type);
  if (fa !== typeFamily(b.type)) return null;
  // Times to the minute on both sides (IODA, detectors): the spans themselves must overlap, without tolerance.
  if (a.start_precision === 'minute' && b.start_precision === 'minute' && a.end_at && b.end_at) {
    if (!(new Date(a.start_at).getTime() <= new Date(b.end_at).getTime() && new Date(b.start_at).getTime() <= new Date(a.end_at).getTime())) return null;
  }
  const reasons = ['same country'];
  let score = 1;
  const sa = new Date(a.start_at).getTime();
  const sb = new Date(b.start_at).getTime();
  const days = Math.round(Math.abs(sa - sb) / 86_400_000);
  reasons.push(days === 0 ? 'same start day' : `starts ${days} day${days > 1 ? 's' : ''} apart`);
  if (days === 0) score += 1;
  reasons.push('overlapping time');
  if (a.type === b.type) {
    reasons.push(`same type (${a.type})`);
    score += 1;
  } else reasons.push(`compatible types (${fa}: ${a.type}, ${b.type})`);
  const na = isNational(a);
  const nb = isNational(b);
  if (na && nb) {
    reasons.push('both nationwide');
    score += 1;
  } else if (!na && !nb) {
    // Most of the place names in common (Jaccard ≥ 0.5): "Jammu and Kashmir" alone does not make two districts one.
    const wa = placeWords(a.area!);
    const wb = placeWords(b.area!);
    const common = [...wb].filter((w) => wa.has(w));
    const union = new Set([...wa, ...wb]).size;
    if (fold(a.area!) !== fold(b.area!) && (!common.length || common.length / union < 0.5)) return null;
    reasons.push(`same place (${common.slice(0, 3).join(', ')})`);
    score += fold(a.area!) === fold(b.area!) ? 2 : 1;
  } else return null;
  if (a.end_at && b.end_at && Math.abs(new Date(a.end_at).getTime() - new Date(b.end_at).getTime()) <= 86_400_000) {
    reasons.push('ends within a day');
    score += 1;
  }
  return { reasons, score };
}

/**
 * Finds likely duplicates of the given incidents among the registry (same organisation, not merged) and stores new
 * pairs. Returns the pairs that involve the given incidents (new or already known and still open). `justCreated`:
 * the incidents were created in this transaction, so no pair can name them but those just found (without any, no
 * further statement is needed).
 */
export async function recordDuplicatesFor(tx: Queryable, ids: string[], opts: { justCreated?: boolean } = {}): Promise<DuplicateCandidate[]> {
  if (!ids.length) return [];
  const pairs = await tx.query<{ a: Row; b: Row }>(
    `select to_jsonb(x) a, to_jsonb(y) b from
       (select id, type, area, tags, start_at, active_until, end_at, start_precision, end_precision, org_id, country from incidents where id = any($1::uuid[]) and merged_into is null and start_at is not null) x
       join incidents y on y.country = x.country and y.org_id = x.org_id and y.id <> x.id and y.merged_into is null and y.start_at is not null
        and y.start_at between x.start_at - interval '2 days' and x.start_at + interval '2 days'
        and tstzrange(y.start_at - interval '1 day', y.active_until + interval '2 days', '[]') && tstzrange(x.start_at, x.active_until + interval '1 day', '[]')`,
    [ids],
  );
  const found = new Map<string, { a: string; b: string; reasons: string[]; score: number }>();
  for (const p of pairs.rows) {
    const why = duplicateReasons(p.a, p.b);
    if (!why) continue;
    const [a, b] = p.a.id < p.b.id ? [p.a.id, p.b.id] : [p.b.id, p.a.id];
    found.set(`${a} ${b}`, { a, b, ...why });
  }
  if (!found.size && opts.justCreated) return [];
  if (found.size) {
    await tx.query(
      `insert into incident_duplicates (a, b, reasons, score)
       select x.a, x.b, x.reasons, x.score from jsonb_to_recordset($1::jsonb) as x(a uuid, b uuid, reasons jsonb, score real)
       on conflict (a, b) do nothing`,
      [JSON.stringify([...found.values()])],
    );
  }
  const r = await tx.query(
    // Each side looked up through its own index (the pair's key for a, incident_duplicates_b_idx for b).
    `select d.a, d.b, d.reasons, d.score, d.state, o.id, o.title, o.type, o.start_at, o.end_at, o.end_state, o.area, o.origin, o.status, d.self
       from (select x.*, x.a as self, x.b as other from incident_duplicates x where x.a = any($1::uuid[]) and x.state = 'open'
             union all
             select x.*, x.b as self, x.a as other from incident_duplicates x where x.b = any($1::uuid[]) and x.state = 'open') d
       join incidents o on o.id = d.other
      order by d.score desc, o.start_at`,
    [ids],
  );
  return r.rows.map(candidateOf);
}

export function candidateOf(r: Record<string, unknown>): DuplicateCandidate {
  const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());
  return {
    id: r.id as string,
    title: r.title as string,
    type: r.type as string,
    startAt: iso(r.start_at),
    endAt: iso(r.end_at),
    endState: r.end_state as string,
    area: (r.area as string | null) ?? null,
    origin: r.origin as string,
    status: r.status as string,
    reasons: (r.reasons as string[]) ?? [],
    score: Number(r.score),
    state: r.state as string,
  };
}
