/**
 * Monash IP Observatory CSVs (github.com/sodalabsio/shared_data). Three time layouts occur:
 * - `time_e_utc` (+ `time_e_utc_str`): epoch seconds, UTC (Hurricane Laura file);
 * - `time_e` (+ `time_e_str`): epoch seconds of the LOCAL wall time ("for Kepler.gl") — we subtract the country's UTC
 *   offset (Iran +3:30, Venezuela −4, Myanmar +6:30 by default, or `utcOffsetHours`);
 * - `time_local` with a `timezone_offset` column (hours) per row.
 * The value is `connectivity` (0..100 or 0..10 index). Regions are `name_1` (province/state) and `name_2`
 * (county) when present. Latency files (`latency_indx`) rise during trouble and are refused with a clear message.
 */
import { SignalFormatError, type Series } from '../model.js';
import { columnIndex, numberCell, parseCsv } from './csv.js';
import { SeriesCollector, parseTime, toAlpha2 } from './build.js';

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

export function parseMonash(text: string, opts: MonashOptions = {}): Series[] {
  const { header, rows } = parseCsv(text);
  const col = (n: string) => columnIndex(header, n);
  if (col('latency_indx') >= 0 && col('connectivity') < 0) {
    throw new SignalFormatError('this Monash file holds a latency index (latency_indx), which rises during trouble; only connectivity files are supported', 1);
  }
  const iValue = col('connectivity');
  if (iValue < 0) throw new SignalFormatError(`missing column "connectivity"; the header has: ${header.join(', ')}`, 1);
  const iIso = col('iso') >= 0 ? col('iso') : col('country_iso_three_char_code');
  if (iIso < 0) throw new SignalFormatError('missing column "iso" (3-letter country code)', 1);
  const iUtc = col('time_e_utc');
  const iLocal = col('time_e');
  const iLocalStr = col('time_local');
  const iTz = col('timezone_offset');
  if (iUtc < 0 && iLocal < 0 && iLocalStr < 0) {
    throw new SignalFormatError('missing time column: expected time_e_utc (UTC), time_e (local) or time_local + timezone_offset', 1);
  }
  if (iUtc < 0 && iLocal < 0 && iTz < 0 && opts.utcOffsetHours === undefined) {
    throw new SignalFormatError('time_local needs a timezone_offset column or an explicit UTC offset', 1);
  }
  const iName1 = col('name_1') >= 0 ? col('name_1') : col('adm1_name');
  const iName2 = col('name_2');
  const signal = opts.signal ?? 'monash';
  const out = new SeriesCollector();
  for (const { line, cells } of rows) {
    const iso3 = (cells[iIso] ?? '').trim();
    const cc = toAlpha2(iso3);
    if (!cc) throw new SignalFormatError(`column "iso": "${iso3}" is not a country code`, line);
    let t: number;
    if (iUtc >= 0) t = parseTime(cells[iUtc] ?? '', line, 'time_e_utc');
    else {
      let offset = opts.utcOffsetHours;
      if (offset === undefined && iTz >= 0) offset = numberCell(cells[iTz], line, 'timezone_offset');
      if (offset === undefined) offset = MONASH_LOCAL_OFFSETS[cc];
      if (offset === undefined || Number.isNaN(offset)) {
        throw new SignalFormatError(`local times for ${cc} need a UTC offset (no default known): pass --utc-offset`, line);
      }
      const local = iLocal >= 0 ? parseTime(cells[iLocal] ?? '', line, 'time_e') : parseTime(cells[iLocalStr] ?? '', line, 'time_local');
      t = Math.round(local - offset * 3600);
    }
    const value = numberCell(cells[iValue], line, 'connectivity');
    if (value < 0) throw new SignalFormatError(`column "connectivity": negative value ${value}`, line);
    const names = [iName1, iName2].filter((i) => i >= 0).map((i) => (cells[i] ?? '').trim()).filter(Boolean);
    const entity = names.length
      ? { scope: 'region' as const, code: `${cc}/${names.join('/')}`, country: cc, name: names.join(' / ') }
      : { scope: 'country' as const, code: cc, country: cc };
    out.add(entity, signal, t, value, line);
  }
  if (out.size === 0) throw new SignalFormatError('the file has a header but no data rows');
  return out.build();
}
