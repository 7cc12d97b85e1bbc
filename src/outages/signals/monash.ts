/**
 * Monash IP Observatory CSVs (github.com/sodalabsio/shared_data), read as published. Layouts:
 * - connectivity index (`connectivity`, 0..100 or 0..10) per county/region per hour — signal `monash`; a value of
 *   -1 is Monash's missing-reading sentinel (Venezuela 2019, Táchira 22 Jul 18:00) and is read as missing;
 * - latency index (`latency_indx`, 100 = the recent long-run average, rising in trouble) — signal
 *   `monash-latency`, a degradation signal: the value kept is 100 × 100 / latency_indx (100 normal, 50 = latency
 *   doubled) and its events are throttling (degradation), never outages;
 * - raw per-address pings (`ip_hash, …, time_local_str, rtt`) — signal `monash-pings`: aggregated on the fly into
 *   the number of distinct responsive addresses per place and local hour, with an explicit 0 for every hour of the
 *   file's time range in which a place answered nothing (a missing ping is silence, not a missing reading).
 * Time layouts: `time_e_utc` (UTC); `time_e` (epoch of the LOCAL wall time, "for Kepler.gl") or `time_local` /
 * `time_local_str` (local wall time as text), shifted by a `timezone_offset` column when present, else by the
 * country's standard offset (Iran +3:30, Venezuela −4, Myanmar +6:30…) or `utcOffsetHours`.
 */
import { SignalFormatError, type Entity, type Series } from '../model.js';
import { columnIndex } from './csv.js';
import { SeriesCollector, parseTime, sentinelNote, signalValue, toAlpha2, ValueStats, type ParseReport } from './build.js';
import { streamCsvText, type RowSink } from './stream.js';

/**
 * Standard-time UTC offsets of the countries Monash publishes local-time files for. Daylight saving is not applied
 * (Iran kept DST until 2022, from about 22 March to 22 September: pass utcOffsetHours 4.5 for summer files).
 */
export const MONASH_LOCAL_OFFSETS: Record<string, number> = { IR: 3.5, VE: -4, MM: 6.5, UA: 2, RU: 3, BY: 3, KZ: 6, ET: 3, SD: 2, IQ: 3, CU: -5 };

export interface MonashOptions {
  /** Offset of the file's local time from UTC, in hours (overrides the per-country default). */
  utcOffsetHours?: number;
  signal?: string;
}

type Layout = 'connectivity' | 'latency' | 'pings';

export interface MonashReader {
  sink: RowSink;
  finish(): { series: Series[]; report: ParseReport };
}

const fmt = (n: number) => n.toLocaleString('en');

export function monashReader(opts: MonashOptions = {}): MonashReader {
  let layout: Layout = 'connectivity';
  let iValue = -1;
  let iIso = -1;
  let iUtc = -1;
  let iLocal = -1;
  let iLocalStr = -1;
  let iTz = -1;
  let iName1 = -1;
  let iName2 = -1;
  let iIp = -1;
  let valueCol = 'connectivity';
  let signal = 'monash';
  const out = new SeriesCollector();
  const stats = new ValueStats();
  const offsetsUsed = new Map<string, number>();
  let rows = 0;
  let zeroLatency = 0;
  // pings: place → local-hour bucket (UTC epoch of the hour's start) → responsive addresses
  const pings = new Map<string, { entity: Entity; hours: Map<number, Set<string>> }>();
  const ipsSeen = new Set<string>();
  let minHour = Infinity;
  let maxHour = -Infinity;
  let pingRows = 0;
  let silentRows = 0;
  const entities = new Map<string, Entity>();

  const sink: RowSink = {
    header(header) {
      const col = (n: string) => columnIndex(header, n);
      iIso = col('iso') >= 0 ? col('iso') : col('country_iso_three_char_code');
      iUtc = col('time_e_utc');
      iLocal = col('time_e');
      iLocalStr = col('time_local') >= 0 ? col('time_local') : col('time_local_str');
      iTz = col('timezone_offset');
      iName1 = col('name_1') >= 0 ? col('name_1') : col('adm1_name');
      iName2 = col('name_2');
      if (col('connectivity') >= 0) {
        layout = 'connectivity';
        iValue = col('connectivity');
      } else if (col('latency_indx') >= 0) {
        layout = 'latency';
        iValue = col('latency_indx');
        valueCol = 'latency_indx';
      } else if (col('ip_hash') >= 0 && col('rtt') >= 0) {
        layout = 'pings';
        iValue = col('rtt');
        iIp = col('ip_hash');
        valueCol = 'rtt';
      } else {
        throw new SignalFormatError(
          `missing column "connectivity" (or "latency_indx", or "ip_hash" + "rtt" for raw pings); the header has: ${header.join(', ')}`,
          1,
        );
      }
      signal = opts.signal ?? (layout === 'connectivity' ? 'monash' : layout === 'latency' ? 'monash-latency' : 'monash-pings');
      if (iIso < 0) throw new SignalFormatError('missing column "iso" (3-letter country code)', 1);
      if (iUtc < 0 && iLocal < 0 && iLocalStr < 0) {
        throw new SignalFormatError('missing time column: expected time_e_utc (UTC), time_e (local), time_local or time_local_str (+ timezone_offset)', 1);
      }
    },
    row(cells, line) {
      rows++;
      const iso3 = (cells[iIso] ?? '').trim();
      const cc = toAlpha2(iso3);
      if (!cc) throw new SignalFormatError(`column "iso": "${iso3}" is not a country code`, line);
      let t: number;
      let offset = 0;
      if (iUtc >= 0) t = parseTime(cells[iUtc] ?? '', line, 'time_e_utc');
      else {
        let off = opts.utcOffsetHours;
        if (off === undefined && iTz >= 0) {
          off = Number((cells[iTz] ?? '').trim());
          if (!Number.isFinite(off) || Math.abs(off) > 14 || (cells[iTz] ?? '').trim() === '') throw new SignalFormatError(`column "timezone_offset": "${cells[iTz] ?? ''}" is not a UTC offset in hours`, line);
        }
        if (off === undefined) off = MONASH_LOCAL_OFFSETS[cc];
        if (off === undefined) throw new SignalFormatError(`local times for ${cc} need a UTC offset (no default known): pass --utc-offset`, line);
        offset = off;
        offsetsUsed.set(cc, off);
        const local = iLocal >= 0 ? parseTime(cells[iLocal] ?? '', line, 'time_e') : parseTime(cells[iLocalStr] ?? '', line, iLocalStr >= 0 ? 'time_local' : 'time_e');
        t = Math.round(local - off * 3600);
      }
      const names = [iName1, iName2].filter((i) => i >= 0).map((i) => (cells[i] ?? '').trim()).filter(Boolean);
      const key = `${cc}/${names.join('/')}`;
      let entity = entities.get(key);
      if (!entity) {
        entity = names.length ? { scope: 'region', code: key, country: cc, name: names.join(' / ') } : { scope: 'country', code: cc, country: cc };
        entities.set(key, entity);
      }
      if (layout === 'pings') {
        pingRows++;
        const rtt = signalValue(cells[iValue], line, 'rtt', stats);
        const ip = (cells[iIp] ?? '').trim();
        if (!ip) throw new SignalFormatError('column "ip_hash" is empty', line);
        // the local hour the ping fell in (Monash's time_local_hr), as the UTC time of its start
        const hour = Math.floor((t + offset * 3600) / 3600) * 3600 - offset * 3600;
        if (hour < minHour) minHour = hour;
        if (hour > maxHour) maxHour = hour;
        let place = pings.get(key);
        if (!place) pings.set(key, (place = { entity, hours: new Map() }));
        let set = place.hours.get(hour);
        if (!set) place.hours.set(hour, (set = new Set()));
        ipsSeen.add(ip);
        if (rtt === rtt) set.add(ip);
        else silentRows++;
        return;
      }
      let v = signalValue(cells[iValue], line, valueCol, stats);
      if (layout === 'latency' && v === v) {
        if (v === 0) {
          zeroLatency++;
          v = NaN;
        } else v = (100 * 100) / v;
      }
      out.add(entity, signal, t, v, line);
    },
  };

  return {
    sink,
    finish() {
      const report: ParseReport = { notes: [], warnings: [] };
      if (!rows) throw new SignalFormatError('the file has a header but no data rows');
      const offs = [...offsetsUsed].map(([cc, o]) => `${cc} UTC${o >= 0 ? '+' : '−'}${Math.abs(o)}`).join(', ');
      if (layout === 'pings') {
        const series: Series[] = [];
        let zeros = 0;
        const hours = Math.round((maxHour - minHour) / 3600) + 1;
        for (const { entity, hours: hmap } of pings.values()) {
          const values = new Float64Array(hours);
          for (let k = 0; k < hours; k++) {
            const set = hmap.get(minHour + k * 3600);
            values[k] = set ? set.size : 0;
            if (!set || set.size === 0) zeros++;
          }
          series.push({ entity, signal, start: minHour, step: 3600, values });
        }
        report.notes.push(
          `raw per-address pings (Monash layout ip_hash, time_local_str, rtt): ${fmt(pingRows)} rows from ${fmt(ipsSeen.size)} addresses aggregated into ` +
            `the number of responsive addresses per place and local hour${offs ? ` (${offs})` : ''}: ${series.length} series × ${fmt(hours)} hours; ` +
            `${fmt(zeros)} place-hours with no response written as 0 (silence, not a missing reading)` +
            (silentRows ? `; ${fmt(silentRows)} rows without an rtt counted as no response` : ''),
        );
        return { series, report };
      }
      const series = out.build(undefined, report);
      const what =
        layout === 'latency'
          ? 'latency index (latency_indx, 100 = usual latency) read as a degradation signal: value 100×100/latency_indx, events reported as throttling, never as outages'
          : 'connectivity index';
      report.notes.push(`Monash ${what}: ${fmt(rows)} rows, ${series.length} series${offs ? `; local times shifted to UTC (${offs})` : ''}`);
      const sn = sentinelNote(stats, valueCol);
      if (sn) report.notes.push(sn);
      if (zeroLatency) report.warnings.push(`${zeroLatency} latency_indx values of 0 read as missing (a latency index cannot be 0)`);
      return { series, report };
    },
  };
}

export function parseMonashReport(text: string, opts: MonashOptions = {}): { series: Series[]; report: ParseReport } {
  const r = monashReader(opts);
  streamCsvText(text, r.sink);
  return r.finish();
}

export function parseMonash(text: string, opts: MonashOptions = {}): Series[] {
  return parseMonashReport(text, opts).series;
}
