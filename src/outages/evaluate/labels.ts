/**
 * Label files for `outages evaluate --labels`: JSON (`{"labels": [...]}` or an array) or CSV with columns
 * entity,start,end[,kind][,scope]; Radar outage annotations and IODA outage events are accepted too.
 * entity: "IR", "IR/Tehran", "AS12345"; start/end: ISO 8601 (UTC unless zoned); end empty = open; kind full|partial.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../core/errors.js';
import { SignalFormatError, type LabelledEvent } from '../model.js';
import { parseEntity, parseTime } from '../signals/build.js';
import { columnIndex, parseCsv, requireColumn } from '../signals/csv.js';
import { parseSignalText } from '../signals/index.js';

const LabelSchema = z.object({
  entity: z.string().min(1),
  start: z.string().min(1),
  end: z.string().nullable().optional(),
  kind: z.enum(['full', 'partial']).optional(),
  scope: z.enum(['country', 'region', 'network']).optional(),
  note: z.string().optional(),
});

function toLabel(raw: z.infer<typeof LabelSchema>, source: string, line?: number): LabelledEvent {
  const ent = parseEntity(raw.entity, raw.scope, undefined, line);
  const start = parseTime(raw.start, line, 'start');
  const end = raw.end ? parseTime(raw.end, line, 'end') : null;
  if (end !== null && end < start) throw new SignalFormatError(`label for ${ent.code} ends (${raw.end}) before it starts (${raw.start})`, line);
  return { entity: ent.code, scope: ent.scope, country: ent.country ?? null, kind: raw.kind ?? 'full', start, end, source, ...(raw.note ? { note: raw.note } : {}) };
}

export function parseLabels(text: string, source = 'labels'): LabelledEvent[] {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    let j: unknown;
    try {
      j = JSON.parse(t);
    } catch (e) {
      throw new SignalFormatError(`not valid JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(j) ? j : (j as { labels?: unknown }).labels;
    if (list !== undefined) {
      const r = z.array(LabelSchema).safeParse(list);
      if (r.success) return r.data.map((l) => toLabel(l, source));
      if (!Array.isArray(j) || !(j[0] && typeof j[0] === 'object' && 'startDate' in j[0])) {
        throw new SignalFormatError(`labels: ${describeIssues(r.error.issues).message}`);
      }
    }
    // Radar annotations or IODA events
    const parsed = parseSignalText(text);
    if (!parsed.labels.length) throw new SignalFormatError('the file holds no labelled events');
    return parsed.labels;
  }
  const { header, rows } = parseCsv(text);
  const iE = requireColumn(header, 'entity', 'who was cut off');
  const iS = requireColumn(header, 'start', 'start time');
  const iEnd = columnIndex(header, 'end');
  const iK = columnIndex(header, 'kind');
  const iSc = columnIndex(header, 'scope');
  return rows.map(({ line, cells }) => {
    const raw = {
      entity: cells[iE] ?? '',
      start: cells[iS] ?? '',
      end: iEnd >= 0 ? cells[iEnd] || null : null,
      kind: iK >= 0 && cells[iK] ? cells[iK] : undefined,
      scope: iSc >= 0 && cells[iSc] ? cells[iSc] : undefined,
    };
    const r = LabelSchema.safeParse(raw);
    if (!r.success) throw new SignalFormatError(describeIssues(r.error.issues).message, line);
    return toLabel(r.data, source, line);
  });
}

export function readLabels(path: string): LabelledEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SignalFormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parseLabels(text, `file:${path}`);
  } catch (e) {
    if (e instanceof SignalFormatError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
