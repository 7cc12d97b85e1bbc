/**
 * Removes identifying metadata from images before they are sealed: EXIF/GPS and XMP (APP1), Photoshop/IPTC (APP13)
 * and comments (COM) from JPEG; eXIf, tEXt, zTXt, iTXt and tIME chunks from PNG. Pixels are untouched. Other files
 * pass through unchanged (the reporter is told that documents may carry metadata of their own).
 * Runs in Node and in the reporter's browser (plain Uint8Array work).
 */
export interface Stripped {
  bytes: Uint8Array;
  kind: 'jpeg' | 'png' | 'other';
  removed: string[];
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_DROP = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

export function stripMetadata(input: Uint8Array): Stripped {
  if (input.length > 3 && input[0] === 0xff && input[1] === 0xd8 && input[2] === 0xff) return stripJpeg(input);
  if (input.length > 8 && PNG_SIG.every((b, i) => input[i] === b)) return stripPng(input);
  return { bytes: input, kind: 'other', removed: [] };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function stripJpeg(b: Uint8Array): Stripped {
  const parts: Uint8Array[] = [b.subarray(0, 2)];
  const removed: string[] = [];
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return { bytes: b, kind: 'jpeg', removed: [] }; // not a segment boundary: leave the file as it is
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) {
      parts.push(b.subarray(i)); // start of scan (or end): the rest is image data
      return { bytes: concat(parts), kind: 'jpeg', removed };
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      parts.push(b.subarray(i, i + 2));
      i += 2;
      continue;
    }
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    const end = i + 2 + len;
    if (len < 2 || end > b.length) return { bytes: b, kind: 'jpeg', removed: [] };
    if (marker === 0xe1) removed.push('APP1 (EXIF/XMP)');
    else if (marker === 0xed) removed.push('APP13 (IPTC)');
    else if (marker === 0xfe) removed.push('COM');
    else parts.push(b.subarray(i, end));
    i = end;
  }
  return { bytes: concat(parts), kind: 'jpeg', removed };
}

function stripPng(b: Uint8Array): Stripped {
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  const removed: string[] = [];
  let i = 8;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  while (i + 12 <= b.length) {
    const len = dv.getUint32(i);
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    const end = i + 12 + len;
    if (end > b.length) return { bytes: b, kind: 'png', removed: [] };
    if (PNG_DROP.has(type)) removed.push(type);
    else parts.push(b.subarray(i, end));
    i = end;
    if (type === 'IEND') break;
  }
  return { bytes: concat(parts), kind: 'png', removed };
}
