import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeQuery, encodeResponse, QTYPE, RCODE, DnsWireError } from './dns-wire.js';

describe('DNS wire format', () => {
  it('round-trips a query and an answer with A, AAAA and CNAME', () => {
    const q = decodeMessage(encodeQuery(4242, 'www.example.org', QTYPE.A));
    expect(q.id).toBe(4242);
    expect(q.questions).toEqual([{ name: 'www.example.org', type: QTYPE.A, klass: 1 }]);
    const r = decodeMessage(
      encodeResponse(q, [
        { name: 'www.example.org', type: QTYPE.CNAME, ttl: 30, data: 'example.org' },
        { name: 'example.org', type: QTYPE.A, ttl: 60, data: '93.184.216.34' },
        { name: 'example.org', type: QTYPE.AAAA, ttl: 60, data: '2606:2800:220:1::248' },
      ], RCODE.NOERROR),
    );
    expect(r.rcode).toBe(0);
    expect(r.answers.map((a) => a.data)).toEqual(['example.org', '93.184.216.34', '2606:2800:220:1::248']);
  });
  it('carries NXDOMAIN', () => {
    const q = decodeMessage(encodeQuery(1, 'nope.test', QTYPE.A));
    expect(decodeMessage(encodeResponse(q, [], RCODE.NXDOMAIN)).rcode).toBe(3);
  });
  it('follows compression pointers and rejects loops and truncation', () => {
    const q = decodeMessage(encodeQuery(7, 'a.b', QTYPE.A));
    const resp = encodeResponse(q, [], 0);
    // hand-made answer whose name is a pointer to the question name at offset 12
    const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4]);
    const msg = Buffer.concat([resp, rr]);
    msg.writeUInt16BE(1, 6);
    expect(decodeMessage(msg).answers[0]).toMatchObject({ name: 'a.b', data: '1.2.3.4' });
    const loop = Buffer.from(msg);
    loop[12] = 0xc0;
    loop[13] = 12;
    expect(() => decodeMessage(loop)).toThrow(DnsWireError);
    expect(() => decodeMessage(msg.subarray(0, msg.length - 2))).toThrow(DnsWireError);
    expect(() => decodeMessage(Buffer.alloc(5))).toThrow(DnsWireError);
  });
});
