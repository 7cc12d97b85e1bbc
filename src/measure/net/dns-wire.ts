/**
 * DNS messages in wire format (RFC 1035): just enough for A, AAAA and CNAME over UDP and DNS-over-HTTPS,
 * for the probe's resolver and the lab's servers.
 */

export const QTYPE = { A: 1, CNAME: 5, AAAA: 28 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQuestion {
  name: string;
  type: number;
  klass: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** dotted/colon address for A/AAAA, a name for CNAME, hex otherwise */
  data: string;
}

export interface DnsMessage {
  id: number;
  flags: number;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
}

export class DnsWireError extends Error {}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'utf8');
    if (b.length > 63) throw new DnsWireError(`DNS label too long: ${p}`);
    bufs.push(Buffer.from([b.length]), b);
  }
  bufs.push(Buffer.from([0]));
  const out = Buffer.concat(bufs);
  if (out.length > 255) throw new DnsWireError(`DNS name too long: ${name}`);
  return out;
}

export function encodeQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(name), q]);
}

function readName(buf: Buffer, offset: number): [string, number] {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let jumps = 0;
  for (;;) {
    if (pos >= buf.length) throw new DnsWireError('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) {
      pos++;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsWireError('truncated compression pointer');
      if (++jumps > 32) throw new DnsWireError('compression loop');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len > 63) throw new DnsWireError('bad label length');
    if (pos + 1 + len > buf.length) throw new DnsWireError('label runs past the end of the message');
    labels.push(buf.subarray(pos + 1, pos + 1 + len).toString('utf8'));
    pos += 1 + len;
  }
  return [labels.join('.'), end >= 0 ? end : pos];
}

function formatIpv6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // compress the longest run of zero groups
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsWireError('message shorter than a DNS header');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const [name, next] = readName(buf, pos);
    if (next + 4 > buf.length) throw new DnsWireError('truncated question');
    questions.push({ name, type: buf.readUInt16BE(next), klass: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const [name, next] = readName(buf, pos);
    if (next + 10 > buf.length) throw new DnsWireError('truncated resource record');
    const type = buf.readUInt16BE(next);
    const ttl = buf.readUInt32BE(next + 4);
    const rdlen = buf.readUInt16BE(next + 8);
    const rd = next + 10;
    if (rd + rdlen > buf.length) throw new DnsWireError('resource data runs past the end');
    let data: string;
    if (type === QTYPE.A && rdlen === 4) data = [...buf.subarray(rd, rd + 4)].join('.');
    else if (type === QTYPE.AAAA && rdlen === 16) data = formatIpv6(buf.subarray(rd, rd + 16));
    else if (type === QTYPE.CNAME) data = readName(buf, rd)[0];
    else data = buf.subarray(rd, rd + rdlen).toString('hex');
    answers.push({ name, type, ttl, data });
    pos = rd + rdlen;
  }
  return { id, flags, rcode: flags & 0x0f, questions, answers };
}

function encodeIp(type: number, data: string): Buffer {
  if (type === QTYPE.A) {
    const parts = data.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new DnsWireError(`bad IPv4 ${data}`);
    return Buffer.from(parts);
  }
  if (type === QTYPE.AAAA) {
    const [head = '', tail = ''] = data.split('::');
    const h = head ? head.split(':') : [];
    const t = data.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = data.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    if (groups.length !== 8) throw new DnsWireError(`bad IPv6 ${data}`);
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
    return b;
  }
  if (type === QTYPE.CNAME) return encodeName(data);
  throw new DnsWireError(`cannot encode record type ${type}`);
}

/** A response to `query` with the given answers and rcode (authoritative, recursion available). */
export function encodeResponse(query: DnsMessage, answers: DnsRecord[], rcode: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (query.flags & 0x0100) | 0x0080 | (rcode & 0x0f), 2);
  header.writeUInt16BE(query.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [header];
  for (const q of query.questions) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(q.type, 0);
    t.writeUInt16BE(q.klass, 2);
    parts.push(encodeName(q.name), t);
  }
  for (const a of answers) {
    const rdata = encodeIp(a.type, a.data);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(a.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(a.ttl, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(encodeName(a.name), fixed, rdata);
  }
  return Buffer.concat(parts);
}
