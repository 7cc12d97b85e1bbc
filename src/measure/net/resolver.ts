import dgram from 'node:dgram';
import https from 'node:https';
import { promises as dnsp } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';
import { decodeMessage, encodeQuery, QTYPE, RCODE, type DnsRecord } from './dns-wire.js';

/** One DNS lookup's result in the terms OONI records. */
export interface LookupResult {
  answers: DnsRecord[];
  failure: string | null;
  rcode: number;
  transactionId: number;
}

export interface Resolver {
  readonly engine: 'system' | 'udp' | 'doh';
  /** host:port, a DoH URL, or "" for the system resolver */
  readonly address: string;
  lookup(host: string, qtype: 'A' | 'AAAA', timeoutMs: number): Promise<LookupResult>;
}

function rcodeFailure(rcode: number): string | null {
  if (rcode === RCODE.NOERROR) return null;
  if (rcode === RCODE.NXDOMAIN) return 'dns_nxdomain_error';
  if (rcode === RCODE.SERVFAIL) return 'dns_server_failure';
  if (rcode === RCODE.REFUSED) return 'dns_refused_error';
  return `unknown_failure: dns rcode ${rcode}`;
}

function result(answers: DnsRecord[], rcode: number, qtype: number, transactionId: number): LookupResult {
  let failure = rcodeFailure(rcode);
  if (!failure && !answers.some((a) => a.type === qtype)) failure = 'dns_no_answer';
  return { answers, failure, rcode, transactionId };
}

/** A resolver speaking DNS over UDP to `host:port` (for instance the lab's censoring resolver). */
export class UdpResolver implements Resolver {
  readonly engine = 'udp' as const;
  readonly address: string;
  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.address = isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  }
  lookup(name: string, qtype: 'A' | 'AAAA', timeoutMs: number): Promise<LookupResult> {
    const type = QTYPE[qtype];
    const id = randomInt(0, 65536);
    return new Promise((resolve) => {
      const sock = dgram.createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
      let settled = false;
      const finish = (r: LookupResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.close();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ answers: [], failure: 'generic_timeout_error', rcode: -1, transactionId: id }), timeoutMs);
      sock.on('error', (e) => finish({ answers: [], failure: `unknown_failure: ${e.message}`, rcode: -1, transactionId: id }));
      sock.on('message', (msg) => {
        try {
          const m = decodeMessage(msg);
          if (m.id !== id) return; // not ours: keep waiting (spoofed or late answer)
          finish(result(m.answers, m.rcode, type, id));
        } catch {
          /* malformed datagram: ignore, wait for a good one or time out */
        }
      });
      let query: Buffer;
      try {
        query = encodeQuery(id, name, type);
      } catch (e) {
        finish({ answers: [], failure: `unknown_failure: ${(e as Error).message}`, rcode: -1, transactionId: id });
        return;
      }
      sock.send(query, this.port, this.host, (err) => {
        if (err) finish({ answers: [], failure: `unknown_failure: ${err.message}`, rcode: -1, transactionId: id });
      });
    });
  }
}

/** DNS-over-HTTPS (RFC 8484, POST application/dns-message). */
export class DohResolver implements Resolver {
  readonly engine = 'doh' as const;
  private readonly url: URL;
  /**
   * `opts.ca` replaces the system roots (tests and the lab only); `opts.connectTo` is the address to reach the DoH
   * server at instead of resolving its name with the system resolver.
   */
  constructor(
    readonly address: string,
    private readonly opts: { ca?: string | Buffer; connectTo?: string } = {},
  ) {
    this.url = new URL(address);
    if (this.url.protocol !== 'https:') throw new Error(`DoH resolver must be an https:// URL, got ${address}`);
  }
  lookup(name: string, qtype: 'A' | 'AAAA', timeoutMs: number): Promise<LookupResult> {
    const type = QTYPE[qtype];
    let query: Buffer;
    try {
      query = encodeQuery(0, name, type);
    } catch (e) {
      return Promise.resolve({ answers: [], failure: `unknown_failure: ${(e as Error).message}`, rcode: -1, transactionId: 0 });
    }
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: LookupResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve(r);
      };
      const fail = (failure: string) => finish({ answers: [], failure, rcode: -1, transactionId: 0 });
      const timer = setTimeout(() => fail('generic_timeout_error'), timeoutMs);
      const req = https.request(
        {
          method: 'POST',
          host: this.opts.connectTo ?? this.url.hostname,
          servername: this.url.hostname,
          port: this.url.port || 443,
          path: `${this.url.pathname}${this.url.search}`,
          headers: { host: this.url.host, 'content-type': 'application/dns-message', accept: 'application/dns-message', 'content-length': query.length },
          ca: this.opts.ca,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > 65535) fail('unknown_failure: DoH answer too large');
            else chunks.push(c);
          });
          res.on('end', () => {
            if (res.statusCode !== 200) return fail(`unknown_failure: DoH HTTP ${res.statusCode}`);
            try {
              const m = decodeMessage(Buffer.concat(chunks));
              finish(result(m.answers, m.rcode, type, 0));
            } catch (e) {
              fail(`unknown_failure: ${(e as Error).message}`);
            }
          });
          res.on('error', (e) => fail(`unknown_failure: ${e.message}`));
        },
      );
      req.on('error', (e) => fail(`unknown_failure: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      req.end(query);
    });
  }
}

/** The operating system's resolver (getaddrinfo). */
export class SystemResolver implements Resolver {
  readonly engine = 'system' as const;
  readonly address = '';
  async lookup(name: string, qtype: 'A' | 'AAAA', timeoutMs: number): Promise<LookupResult> {
    const family = qtype === 'A' ? 4 : 6;
    let timer: NodeJS.Timeout | undefined;
    try {
      const addrs = await Promise.race([
        dnsp.lookup(name, { all: true, family }),
        new Promise<never>((_, rej) => {
          timer = setTimeout(() => rej(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), timeoutMs);
        }),
      ]);
      const answers = addrs.map((a) => ({ name, type: a.family === 4 ? QTYPE.A : QTYPE.AAAA, ttl: 0, data: a.address }));
      return result(answers, 0, QTYPE[qtype], 0);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const failure =
        code === 'ENOTFOUND' ? 'dns_nxdomain_error' : code === 'ENODATA' ? 'dns_no_answer' : code === 'ETIMEOUT' ? 'generic_timeout_error' : `unknown_failure: ${code ?? (e as Error).message}`;
      return { answers: [], failure, rcode: -1, transactionId: 0 };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Parses `system`, `udp://host:port` (or `host:port`) or `https://…` (DoH). */
export function parseResolver(spec: string): Resolver {
  if (spec === 'system') return new SystemResolver();
  if (spec.startsWith('https://')) return new DohResolver(spec);
  const s = spec.replace(/^udp:\/\//, '');
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s) ?? /^([^:]+)$/.exec(s);
  if (!m || !(isIPv4(m[1]!) || isIPv6(m[1]!))) {
    throw new Error(`resolver "${spec}": expected "system", "udp://IP:PORT" or a DNS-over-HTTPS URL "https://…"`);
  }
  const port = Number(m[2] ?? 53);
  if (!(port > 0 && port < 65536)) throw new Error(`resolver "${spec}": bad port`);
  return new UdpResolver(m[1]!, port);
}
