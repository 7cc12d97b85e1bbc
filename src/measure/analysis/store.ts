import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Db, Queryable } from '../../platform/db.js';
import { audit, type Actor } from '../../platform/audit.js';
import { measurementSchema, webConnectivityTestKeysSchema, type Measurement, type VerdictKind } from '../ooni/model.js';
import { computeVerdict } from '../ooni/verdict.js';
import { shippedFingerprints, type FingerprintDb } from '../ooni/fingerprints.js';

/** Verdict kinds that count as an anomaly (interference) in aggregates. */
export const BLOCKED_KINDS: VerdictKind[] = ['dns', 'tcp_ip', 'tls', 'http-blockpage', 'http-diff', 'http-failure', 'throttling'];

export interface StoredVerdict {
  verdict: VerdictKind;
  blocking: string | null;
  accessible: boolean | null;
  fingerprint: string | null;
  reasons: string[];
}

/** Recomputes the verdict of any measurement from its raw test keys (web_connectivity only; others: unknown). */
export function recompute(m: Measurement, fps: FingerprintDb = shippedFingerprints()): StoredVerdict {
  if (m.test_name !== 'web_connectivity') return { verdict: 'unknown', blocking: null, accessible: null, fingerprint: null, reasons: [`test ${m.test_name} has no web-connectivity verdict`] };
  const tk = webConnectivityTestKeysSchema.safeParse(m.test_keys);
  if (!tk.success) {
    const i = tk.error.issues[0];
    return { verdict: 'unknown', blocking: null, accessible: null, fingerprint: null, reasons: [`test_keys.${i?.path.join('.')}: ${i?.message}`] };
  }
  const v = computeVerdict(m.input ?? '', tk.data, fps, { probeCc: m.probe_cc, recordedHttpFailure: tk.data.http_experiment_failure ?? null });
  return {
    verdict: v.x_stackwatch.verdict,
    blocking: v.blocking === false ? 'false' : v.blocking,
    accessible: v.accessible,
    fingerprint: v.x_stackwatch.fingerprint,
    reasons: v.x_stackwatch.reasons,
  };
}

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportResult {
  lines: number;
  imported: number;
  duplicates: number;
  /** every line not stored, with why (duplicates by content; bad lines are in `problems`) */
  skipped: ImportProblem[];
  problems: ImportProblem[];
}

export interface ImportOptions {
  /** who imports: the measurements belong to this actor's organisation, and the import is audited as theirs */
  actor: Actor;
  /** mark the measurements public (e.g. OONI's published data): every organisation may read them, raw included */
  public?: boolean;
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 200;

/** Parses and validates one JSONL line; returns the measurement or a problem naming the field. */
export function parseMeasurementLine(line: string): { m: Measurement } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  const r = measurementSchema.safeParse(json);
  if (!r.success) return { error: r.error.issues.map((i) => `${i.path.join('.') || '(measurement)'}: ${i.message}`).join('; ') };
  return { m: r.data };
}

function domainOf(input: string | null): string | null {
  if (!input) return null;
  try {
    return new URL(input).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Imports OONI measurement JSONL text (ours or OONI's). Each raw line is stored gzip-compressed with the SHA-256
 * of its exact bytes, so it reads back identically; the verdict stored is the one recomputed from the raw data.
 * De-duplication is by content only: a line whose bytes an organisation already stored (same SHA-256) is skipped
 * and reported with its line number, so an import can resume; distinct measurements of one URL in one report are
 * all kept. Every batch of lines is one transaction, with its audit-log entry in the same transaction.
 */
export async function importJsonl(db: Db, text: string, source: string, opts: ImportOptions): Promise<ImportResult> {
  const { actor, onProgress } = opts;
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const res: ImportResult = { lines: 0, imported: 0, duplicates: 0, skipped: [], problems: [] };
  const fps = shippedFingerprints();
  const seen = new Map<string, number>(); // sha256 -> first line in this import
  let batch: { line: number; row: unknown[] }[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    const inserted = await db.transaction(async (tx) => {
      const ids: string[] = [];
      for (const { line, row } of rows) {
        const q = await tx.query(
          `insert into measure_measurements (id, sha256, report_id, test_name, input, domain, probe_cc, probe_asn, probe_network_name,
             measurement_start_time, day, verdict, blocking, accessible, fingerprint, reasons, source, raw_gz, raw_bytes, org_id, public)
           values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16::jsonb,$17,$18,$19,$20,$21)
           on conflict do nothing returning id`,
          row,
        );
        if (q.rows.length) ids.push(String(row[0]));
        else res.skipped.push({ line, message: `already stored: a measurement with the same content (SHA-256 ${String(row[1]).slice(0, 16)}…) is in the database` });
      }
      await audit(tx, actor, 'measure.import', 'measurement', null, null, {
        source,
        lines: `${rows[0]!.line}-${rows[rows.length - 1]!.line}`,
        imported: ids.length,
        alreadyStored: rows.length - ids.length,
        public: Boolean(opts.public),
      });
      return ids.length;
    });
    res.imported += inserted;
    res.duplicates += rows.length - inserted;
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (!raw.trim()) continue;
    res.lines++;
    const p = parseMeasurementLine(raw);
    if ('error' in p) {
      res.problems.push({ line: i + 1, message: p.error });
      continue;
    }
    const m = p.m;
    const v = recompute(m, fps);
    const bytes = Buffer.from(raw, 'utf8');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const first = seen.get(sha);
    if (first !== undefined) {
      res.duplicates++;
      res.skipped.push({ line: i + 1, message: `identical to line ${first} of this import (same SHA-256)` });
      continue;
    }
    seen.set(sha, i + 1);
    const start = new Date(`${m.measurement_start_time.replace(' ', 'T')}Z`);
    if (Number.isNaN(start.getTime())) {
      res.problems.push({ line: i + 1, message: 'measurement_start_time: not a valid date' });
      continue;
    }
    batch.push({
      line: i + 1,
      row: [
        randomUUID(), sha, m.report_id, m.test_name, m.input, domainOf(m.input), m.probe_cc,
        Number(m.probe_asn.slice(2)), m.probe_network_name ?? '', start.toISOString(), start.toISOString().slice(0, 10), v.verdict,
        v.blocking, v.accessible, v.fingerprint, JSON.stringify(v.reasons), source, gzipSync(bytes), bytes.length, actor.orgId, Boolean(opts.public),
      ],
    });
    if (batch.length >= BATCH) await flush();
    onProgress?.(i + 1, lines.length);
  }
  await flush();
  return res;
}

export interface MeasurementRow {
  id: string;
  sha256: string;
  reportId: string;
  input: string | null;
  domain: string | null;
  probeCc: string;
  probeAsn: number;
  start: string;
  verdict: VerdictKind;
  blocking: string | null;
  accessible: boolean | null;
  fingerprint: string | null;
  reasons: string[];
  public: boolean;
}

const COLS = `id, sha256, report_id, input, domain, probe_cc, probe_asn, measurement_start_time, verdict, blocking, accessible, fingerprint, reasons, public`;
function toRow(r: Record<string, unknown>): MeasurementRow {
  return {
    id: String(r.id),
    sha256: String(r.sha256),
    reportId: String(r.report_id),
    input: (r.input as string | null) ?? null,
    domain: (r.domain as string | null) ?? null,
    probeCc: String(r.probe_cc),
    probeAsn: Number(r.probe_asn),
    start: new Date(r.measurement_start_time as string).toISOString(),
    verdict: r.verdict as VerdictKind,
    blocking: (r.blocking as string | null) ?? null,
    accessible: (r.accessible as boolean | null) ?? null,
    fingerprint: (r.fingerprint as string | null) ?? null,
    reasons: (typeof r.reasons === 'string' ? JSON.parse(r.reasons) : r.reasons) as string[],
    public: r.public === true,
  };
}

export interface MeasurementFilter {
  /** the reader's organisation: only its own measurements and public ones (none given: all, for local CLI use) */
  orgId?: string;
  country?: string;
  asn?: number;
  domain?: string;
  verdict?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

function where(f: MeasurementFilter, params: unknown[]): string {
  const c: string[] = [];
  if (f.orgId) c.push(`(org_id = $${params.push(f.orgId)}::uuid or public)`);
  if (f.country) c.push(`probe_cc = $${params.push(f.country.toUpperCase())}`);
  if (f.asn !== undefined) c.push(`probe_asn = $${params.push(f.asn)}`);
  if (f.domain) c.push(`domain = $${params.push(f.domain.toLowerCase())}`);
  if (f.verdict) c.push(`verdict = $${params.push(f.verdict)}`);
  if (f.from) c.push(`day >= $${params.push(f.from)}::date`);
  if (f.to) c.push(`day <= $${params.push(f.to)}::date`);
  return c.length ? `where ${c.join(' and ')}` : '';
}

export async function listMeasurements(db: Queryable, f: MeasurementFilter): Promise<{ total: number; items: MeasurementRow[] }> {
  const params: unknown[] = [];
  const w = where(f, params);
  const total = (await db.query<{ n: number }>(`select count(*)::int as n from measure_measurements ${w}`, params)).rows[0]?.n ?? 0;
  const p2 = [...params, f.limit ?? 50, f.offset ?? 0];
  const rows = await db.query(`select ${COLS} from measure_measurements ${w} order by measurement_start_time desc, id limit $${p2.length - 1} offset $${p2.length}`, p2);
  return { total, items: rows.rows.map(toRow) };
}

/** One measurement with its raw line; with `orgId`, only if that organisation owns it or it is public. */
export async function getMeasurement(db: Queryable, id: string, orgId?: string): Promise<(MeasurementRow & { raw: string }) | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const r = (
    await db.query(`select ${COLS}, raw_gz from measure_measurements where id = $1 ${orgId ? 'and (org_id = $2::uuid or public)' : ''}`, orgId ? [id, orgId] : [id])
  ).rows[0];
  if (!r) return null;
  return { ...toRow(r), raw: gunzipSync(Buffer.from(r.raw_gz as Uint8Array)).toString('utf8') };
}

/** Raw JSONL of stored measurements, byte for byte as imported; each line checked against its SHA-256. */
export async function exportRaw(db: Queryable, f: MeasurementFilter = {}): Promise<string[]> {
  const params: unknown[] = [];
  const rows = await db.query<{ raw_gz: Uint8Array; sha256: string }>(`select raw_gz, sha256 from measure_measurements ${where(f, params)} order by measurement_start_time, id`, params);
  return rows.rows.map((r) => {
    const raw = gunzipSync(Buffer.from(r.raw_gz));
    if (createHash('sha256').update(raw).digest('hex') !== r.sha256) throw new Error(`stored measurement ${r.sha256} is corrupt (SHA-256 mismatch)`);
    return raw.toString('utf8');
  });
}

export interface AnomalyRow {
  country: string | null;
  asn: number | null;
  domain: string | null;
  day: string | null;
  measurements: number;
  anomalies: number;
  confirmed: number;
  ok: number;
  down: number;
  byKind: Record<string, number>;
}

export const GROUP_KEYS = ['country', 'asn', 'domain', 'day'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];
const GROUP_SQL: Record<GroupKey, string> = { country: 'probe_cc', asn: 'probe_asn', domain: 'domain', day: 'day' };
const SELECT_SQL: Record<GroupKey, string> = { country: 'probe_cc', asn: 'probe_asn', domain: 'domain', day: "to_char(day, 'YYYY-MM-DD')" };

/** Anomalies aggregated by any of country, ASN, domain and day. */
export async function aggregateAnomalies(db: Queryable, groupBy: GroupKey[], f: MeasurementFilter = {}): Promise<AnomalyRow[]> {
  const keys = groupBy.length ? groupBy : (['country'] as GroupKey[]);
  const params: unknown[] = [];
  const w = where(f, params);
  const sel = keys.map((k) => `${SELECT_SQL[k]} as ${k}`).join(', ');
  const grp = keys.map((k) => GROUP_SQL[k]).join(', ');
  const rows2 = await db.query(
    `select ${sel}, verdict, count(*)::int as n, count(*) filter (where fingerprint is not null)::int as fp
     from measure_measurements ${w} group by ${grp}, verdict order by ${grp}`,
    params,
  );
  const out = new Map<string, AnomalyRow>();
  for (const r of rows2.rows) {
    const key = keys.map((k) => String(r[k])).join('|');
    let a = out.get(key);
    if (!a) {
      a = {
        country: keys.includes('country') ? String(r.country) : null,
        asn: keys.includes('asn') ? Number(r.asn) : null,
        domain: keys.includes('domain') ? ((r.domain as string | null) ?? null) : null,
        day: keys.includes('day') ? String(r.day) : null,
        measurements: 0,
        anomalies: 0,
        confirmed: 0,
        ok: 0,
        down: 0,
        byKind: {},
      };
      out.set(key, a);
    }
    const n = Number(r.n);
    const v = String(r.verdict);
    a.measurements += n;
    a.byKind[v] = (a.byKind[v] ?? 0) + n;
    if ((BLOCKED_KINDS as string[]).includes(v)) {
      a.anomalies += n;
      a.confirmed += Number(r.fp);
    }
    if (v === 'ok') a.ok += n;
    if (v === 'down') a.down += n;
  }
  return [...out.values()];
}

/** Number of distinct blocked domains per day (the console's "blocked domains over time" chart). */
export async function blockedDomainsOverTime(db: Queryable, f: MeasurementFilter = {}): Promise<{ day: string; blockedDomains: number; testedDomains: number }[]> {
  const params: unknown[] = [BLOCKED_KINDS];
  const w = where(f, params);
  const rows = await db.query<{ day: string; blocked: number; tested: number }>(
    `select to_char(day, 'YYYY-MM-DD') as day, count(distinct domain) filter (where verdict = any($1::text[]))::int as blocked, count(distinct domain)::int as tested
     from measure_measurements ${w} group by day order by day`,
    params,
  );
  return rows.rows.map((r) => ({ day: String(r.day), blockedDomains: r.blocked, testedDomains: r.tested }));
}
