/**
 * The series store (PostgreSQL / PGlite): one row per series and UTC day, its points packed as little-endian
 * float32 in a bytea (NaN = missing). A year of 5-minute points for 11,250 series is 4.1 M rows of 1,152 bytes —
 * about 5 GB, a tenth of a row-per-point table — and reading one series' range is a primary-key range scan.
 * Imports run in one transaction: a malformed file is rejected before any write, and a failure while writing
 * rolls everything back, so no partial series is ever left behind.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../platform/db.js';
import { audit, type Actor } from '../platform/audit.js';
import { firstOrgId, systemActor } from '../platform/auth.js';
import { SignalFormatError, type Entity, type Series } from './model.js';

const DAY = 86400;

export function packDay(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

export function unpackDay(buf: Uint8Array, slots: number): Float32Array {
  if (buf.byteLength !== slots * 4) throw new Error(`stored day has ${buf.byteLength} bytes, expected ${slots * 4}`);
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

function dayString(dayIndex: number) {
  return new Date(dayIndex * DAY * 1000).toISOString().slice(0, 10);
}

export interface ImportResult {
  importId: string;
  series: number;
  points: number;
  days: number;
}

/** Checks that every series can be stored (whole-day grid) before anything is written. */
export function checkStorable(series: Series[]) {
  for (const s of series) {
    if (!Number.isInteger(s.step) || s.step <= 0 || DAY % s.step !== 0) {
      throw new SignalFormatError(`series ${s.entity.code} (${s.signal}): a step of ${s.step} s does not divide a day; it cannot be stored`);
    }
  }
}

/**
 * Stores series in one transaction and writes the import to the audit log (who, which file and checksum, how much):
 * `meta.actor` is the person (console, API token, CLI); without one the system organisation's actor is recorded.
 */
export async function importSeries(db: Db, series: Series[], meta: { fileName: string; sha256: string; format: string; actor?: Actor }): Promise<ImportResult> {
  checkStorable(series);
  return db.transaction(async (tx) => {
    let points = 0;
    let days = 0;
    for (const s of series) {
      const phase = ((s.start % s.step) + s.step) % s.step;
      const row = (
        await tx.query<{ id: number; phase: number }>(
          `insert into outage_series (entity, scope, country, name, signal, step, phase) values ($1,$2,$3,$4,$5,$6,$7)
           on conflict (entity, signal, step) do update set name = coalesce(excluded.name, outage_series.name)
           returning id, phase`,
          [s.entity.code, s.entity.scope, s.entity.country ?? null, s.entity.name ?? null, s.signal, s.step, phase],
        )
      ).rows[0]!;
      if (row.phase !== phase) {
        throw new SignalFormatError(`series ${s.entity.code} (${s.signal}): points fall ${phase} s past the ${s.step} s grid, the stored series ${row.phase} s`);
      }
      const slots = DAY / s.step;
      const byDay = new Map<number, Float32Array>();
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i]!;
        if (v !== v) continue;
        const t = s.start + i * s.step - phase;
        const d = Math.floor(t / DAY);
        let arr = byDay.get(d);
        if (!arr) {
          arr = new Float32Array(slots).fill(NaN);
          byDay.set(d, arr);
        }
        arr[(t - d * DAY) / s.step] = v;
        points++;
      }
      if (!byDay.size) continue;
      const dayList = [...byDay.keys()].sort((a, b) => a - b);
      // merge with stored days: new points win, stored points fill the rest
      const existing = await tx.query<{ day: string | Date; vals: Uint8Array }>(
        'select day, vals from outage_points where series_id = $1 and day between $2::date and $3::date',
        [row.id, dayString(dayList[0]!), dayString(dayList[dayList.length - 1]!)],
      );
      for (const e of existing.rows) {
        const d = Math.floor(new Date(typeof e.day === 'string' ? `${e.day}T00:00:00Z` : e.day).getTime() / 1000 / DAY);
        const arr = byDay.get(d);
        if (!arr) continue;
        const old = unpackDay(e.vals, slots);
        for (let k = 0; k < slots; k++) if (arr[k] !== arr[k]) arr[k] = old[k]!;
      }
      for (let c = 0; c < dayList.length; c += 500) {
        const chunk = dayList.slice(c, c + 500);
        await tx.query(
          `insert into outage_points (series_id, day, vals)
           select $1, d, v from unnest($2::date[], $3::bytea[]) as u(d, v)
           on conflict (series_id, day) do update set vals = excluded.vals`,
          [row.id, chunk.map(dayString), chunk.map((d) => packDay(byDay.get(d)!))],
        );
      }
      days += dayList.length;
    }
    const importId = randomUUID();
    await tx.query('insert into outage_imports (id, file_name, file_sha256, format, series, points, days) values ($1,$2,$3,$4,$5,$6,$7)', [
      importId, meta.fileName, meta.sha256, meta.format, series.length, points, days,
    ]);
    const actor = meta.actor ?? ((await firstOrgId(tx)) ? await systemActor(tx) : null);
    if (actor) {
      await audit(tx, actor, 'outages.import', 'outage_import', importId, null, {
        file: meta.fileName, sha256: meta.sha256, format: meta.format, series: series.length, points, days,
      });
    }
    return { importId, series: series.length, points, days };
  });
}

export interface SeriesFilter {
  entity?: string;
  country?: string;
  signal?: string;
  /** Epoch seconds. */
  from?: number;
  to?: number;
}

export interface StoredSeriesInfo {
  id: number;
  entity: Entity;
  signal: string;
  step: number;
  phase: number;
  firstDay: string | null;
  lastDay: string | null;
  days: number;
}

function whereOf(f: SeriesFilter, params: unknown[]) {
  const w: string[] = [];
  if (f.entity) {
    params.push(f.entity);
    w.push(`s.entity = $${params.length}`);
  }
  if (f.country) {
    params.push(f.country);
    w.push(`s.country = $${params.length}`);
  }
  if (f.signal) {
    params.push(f.signal);
    w.push(`s.signal = $${params.length}`);
  }
  return w.length ? `where ${w.join(' and ')}` : '';
}

export async function listSeries(db: Queryable, f: SeriesFilter = {}): Promise<StoredSeriesInfo[]> {
  const params: unknown[] = [];
  const rows = await db.query<Record<string, unknown>>(
    `select s.id, s.entity, s.scope, s.country, s.name, s.signal, s.step, s.phase,
            min(p.day)::text as first_day, max(p.day)::text as last_day, count(p.day)::int as days
       from outage_series s left join outage_points p on p.series_id = s.id ${whereOf(f, params)}
      group by s.id order by s.country, s.entity, s.signal`,
    params,
  );
  return rows.rows.map((r) => ({
    id: r.id as number,
    entity: { scope: r.scope as Entity['scope'], code: r.entity as string, ...(r.country ? { country: (r.country as string).trim() } : {}), ...(r.name ? { name: r.name as string } : {}) },
    signal: r.signal as string,
    step: r.step as number,
    phase: r.phase as number,
    firstDay: (r.first_day as string | null) ?? null,
    lastDay: (r.last_day as string | null) ?? null,
    days: r.days as number,
  }));
}

/** Reads stored series (whole days overlapping [from, to]) back into regular series; leading/trailing gaps trimmed. */
export async function loadSeries(db: Queryable, f: SeriesFilter = {}): Promise<Series[]> {
  const infos = await listSeries(db, f);
  const out: Series[] = [];
  for (const info of infos) {
    if (!info.days) continue;
    const params: unknown[] = [info.id];
    let range = '';
    if (f.from !== undefined) {
      params.push(dayString(Math.floor(f.from / DAY)));
      range += ` and day >= $${params.length}::date`;
    }
    if (f.to !== undefined) {
      params.push(dayString(Math.floor(f.to / DAY)));
      range += ` and day <= $${params.length}::date`;
    }
    const rows = (await db.query<{ day: string; vals: Uint8Array }>(`select day::text as day, vals from outage_points where series_id = $1${range} order by day`, params)).rows;
    if (!rows.length) continue;
    const slots = DAY / info.step;
    const d0 = Date.parse(`${rows[0]!.day}T00:00:00Z`) / 1000 / DAY;
    const d1 = Date.parse(`${rows[rows.length - 1]!.day}T00:00:00Z`) / 1000 / DAY;
    const all = new Float64Array((d1 - d0 + 1) * slots).fill(NaN);
    for (const r of rows) {
      const d = Date.parse(`${r.day}T00:00:00Z`) / 1000 / DAY;
      const vals = unpackDay(r.vals, slots);
      const off = (d - d0) * slots;
      for (let k = 0; k < slots; k++) all[off + k] = vals[k]!;
    }
    let a = 0;
    let b = all.length - 1;
    while (a <= b && Number.isNaN(all[a]!)) a++;
    while (b >= a && Number.isNaN(all[b]!)) b--;
    if (a > b) continue;
    out.push({ entity: info.entity, signal: info.signal, step: info.step, start: d0 * DAY + info.phase + a * info.step, values: all.slice(a, b + 1) });
  }
  return out;
}
