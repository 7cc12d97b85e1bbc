/**
 * A small RFC 4180 CSV reader: quoted fields with doubled quotes, commas and line breaks inside quotes,
 * CRLF or LF line ends, a UTF-8 byte-order mark. Errors name the line where the problem starts.
 */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

export interface CsvRecord {
  /** 1-based line on which the record starts (the header is line 1). */
  line: number;
  fields: string[];
}

export function parseCsv(text: string): CsvRecord[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  let atFieldStart = true;
  let sawAny = false;
  while (i < n) {
    const c = text[i]!;
    if (atFieldStart && c === '"') {
      // Quoted field.
      const quoteLine = line;
      i++;
      let closed = false;
      while (i < n) {
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      if (!closed) throw new CsvError(`unterminated quoted field starting on line ${quoteLine} (is the file truncated?)`, quoteLine);
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvError(`unexpected character ${JSON.stringify(next)} after a closing quote on line ${line}`, line);
      }
      atFieldStart = false;
      sawAny = true;
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
      sawAny = true;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      if (sawAny || field !== '') {
        fields.push(field);
        records.push({ line: recordLine, fields });
      }
      fields = [];
      field = '';
      atFieldStart = true;
      sawAny = false;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    atFieldStart = false;
    sawAny = true;
    i++;
  }
  if (sawAny || field !== '') {
    fields.push(field);
    records.push({ line: recordLine, fields });
  }
  return records;
}
