import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { decodeMessage, encodeResponse, QTYPE, RCODE, type DnsRecord } from '../net/dns-wire.js';
import { UdpResolver, type Resolver } from '../net/resolver.js';
import type { Route } from '../net/dial.js';
import { startTestHelper, type RunningHelper } from '../helper/th.js';
import { BLOCKPAGES, BLOCK_REDIRECTS, GENERIC_BLOCKPAGE } from './blockpages.js';
import { isBogon } from '../ooni/ip.js';
import { LAB_DOMAIN, siteHost, sitePort, siteUrl, type Scenario, type Site } from './scenario.js';

/**
 * The censorship lab, all on loopback. Each simulated site has a public-looking address that DNS answers
 * (45.20.a.b) and its own loopback address where it really listens (127.<slot>.a.b). Connections go through a
 * `Route`: the test helper's route is the clean internet; the probe's route passes the censor's middlebox, which
 * may refuse (RST), black-hole SYNs, reset or stall a TLS ClientHello carrying a given SNI, present a wrong
 * certificate, inject a blockpage, rewrite a response or throttle. DNS: a clean authoritative server and the
 * censoring ISP resolver that the probe uses. Nothing leaves 127.0.0.0/8.
 */

const CERT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'certs');
const pem = (f: string) => readFileSync(join(CERT_DIR, f), 'utf8');
export const LAB_CA = () => pem('lab-ca-cert.pem') + pem('lab-ca2-cert.pem');

/** Ports the lab's servers physically listen on (no privileges needed); URLs keep 80/443; other ports as they are. */
const PHYS = (port: number) => (port === 80 ? 8080 : port === 443 ? 8443 : port);
/** The lab's test helper listens on a port that WHATWG fetch refuses ("bad port"): the probe must not use fetch. */
const TH_PORT = 6000;

const LAB_BLOCKPAGE_PUBLIC = '45.19.0.2';
/** a public address in another AS than the lab's sites (AS7018 for 45.20.0.0/16 in the shipped ASN data) */
const WRONG_IP_PUBLIC = '62.19.0.1';

/**
 * Where one lab instance listens: all of it inside 127.<slot>.0.0/16, so several labs (parallel test files) can
 * run side by side. Sites at 127.<slot>.1-100.x, their middleboxes at 127.<slot>.101-200.x, the rest at .201.x.
 */
export function labLayout(slot: number) {
  const p = `127.${slot}`;
  const at = (base: number, i: number) => `${p}.${base + Math.floor(i / 250)}.${1 + (i % 250)}`;
  return {
    origin: (i: number) => at(1, i),
    middlebox: (i: number) => at(101, i),
    blockServer: `${p}.201.1`,
    labBlockpage: `${p}.201.2`,
    blackhole: `${p}.201.3`,
    refused: { host: `${p}.201.4`, port: 9 },
    authDns: `${p}.201.5`,
    censorDns: `${p}.201.6`,
    th: `${p}.201.7`,
    maxSites: 100 * 250,
  };
}
type Layout = ReturnType<typeof labLayout>;

/** DNS answers the censor injects. */
const DNS_INJECT: Record<string, string | null> = {
  bogon: '198.18.0.7',
  private: '192.168.7.1',
  localhost: '127.0.0.1',
  blockpage_ip: '134.17.0.7', // ooni.by_4: Belarusian ISP MTS block server
  blockpage_ip_ir: '10.10.34.35', // ooni.ir_5: Iran's national DNS injection
  wrong_ip: WRONG_IP_PUBLIC,
};
/** Addresses the censor's injected answers lead to, on the probe's path. */
const INJECTED_TO_BLOCK_SERVER = new Set(['192.168.7.1', '134.17.0.7', '10.10.34.35', WRONG_IP_PUBLIC]);

function siteAddr(i: number, prefix: string): string {
  return `${prefix}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

export interface LabSite {
  site: Site;
  host: string;
  /** the port in the URL */
  port: number;
  publicIp: string;
  /** IPv6-only sites: their public IPv6 address (they really listen on ::1) */
  publicIp6: string | null;
  /** dns: proxy sites: the transparent proxy's address the censor answers */
  proxyIp: string;
  originIp: string;
  middleboxIp: string;
  deadIps: string[];
}

export interface Lab {
  sites: LabSite[];
  /** UDP resolver address of the censoring ISP resolver (what the probe uses) */
  censorResolver: { host: string; port: number };
  authResolver: { host: string; port: number };
  thUrl: string;
  probeRoute: Route;
  cleanRoute: Route;
  ca: string;
  close(): Promise<void>;
}

interface Closer {
  close(): Promise<void> | void;
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 511 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** Deterministic page for a site (plus a random token when the site is dynamic). */
export function sitePage(site: Site, path: string): Buffer {
  const title = `${site.name} | Lab site ${site.name.length} about freedom of expression`;
  const token = site.origin.dynamic ? `<!-- ${randomBytes(12).toString('hex')} -->` : '';
  const head = `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${site.name}</h1><p>path ${path}</p>${token}\n`;
  const tail = '</body></html>\n';
  const want = Math.max(site.origin.body_bytes, head.length + tail.length);
  const filler = 'Independent reporting and human rights documentation from the lab. ';
  let mid = '';
  while (head.length + mid.length + tail.length < want) mid += filler;
  mid = mid.slice(0, want - head.length - tail.length);
  return Buffer.from(head + mid + tail);
}

async function writeSlowly(res: http.ServerResponse, body: Buffer, totalMs: number): Promise<void> {
  const steps = Math.max(1, Math.min(20, Math.ceil(body.length / 4096)));
  const size = Math.ceil(body.length / steps);
  for (let i = 0; i < steps && !res.destroyed; i++) {
    res.write(body.subarray(i * size, (i + 1) * size));
    await new Promise((r) => setTimeout(r, totalMs / steps));
  }
  res.end();
}

function originHandler(bySiteIp: Map<string, LabSite>, scheme: 'http' | 'https') {
  const inner = originHandlerInner(bySiteIp, scheme);
  // whatever a scenario makes the origin do, the lab process never dies of it
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    inner(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
}

function originHandlerInner(bySiteIp: Map<string, LabSite>, scheme: 'http' | 'https') {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const ls = bySiteIp.get(`${req.socket.localAddress ?? ''}|${req.socket.localPort ?? 0}`) ?? bySiteIp.get(req.socket.localAddress ?? '');
    if (!ls) {
      res.writeHead(421).end();
      return;
    }
    const o = ls.site.origin;
    const portPart = ls.site.port ? `:${ls.site.port}` : '';
    let u: URL;
    try {
      u = new URL(req.url ?? '/', `${scheme}://${ls.host}${portPart}`);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const common = { 'X-Lab-Site': ls.site.name, Server: 'lab-origin/1.0' };
    const redirect = (code: number, location: string, extra: Record<string, string> = {}) => {
      res.writeHead(code, { ...common, Location: location, 'Content-Length': '0', ...extra }).end();
    };
    if (o.raw_location !== undefined && u.pathname === new URL(`http://x${ls.site.path}`).pathname) {
      // written raw: a malformed Location must reach the client as it is
      res.socket?.end(`HTTP/1.1 302 Found\r\nLocation: ${o.raw_location.replace(/[\r\n]/g, '')}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (o.redirect_loop) return redirect(302, u.pathname === '/loop-a' ? '/loop-b' : '/loop-a');
    if (scheme === 'http' && o.https_redirect) return redirect(301, `https://${ls.host}${u.pathname}${u.search}`);
    const chain = o.redirects;
    if (chain.length) {
      // positions in the chain, as host+path (the scheme may change along the way); a chain entry that is not a
      // URL ends the chain here rather than crashing the lab
      let prev = new URL(`${ls.site.scheme}://${ls.host}${portPart}${ls.site.path}`);
      const at = [prev.host + prev.pathname];
      for (const c of chain) {
        try {
          prev = new URL(c, prev);
        } catch {
          break;
        }
        at.push(prev.host + prev.pathname);
      }
      const idx = at.indexOf(u.host + u.pathname);
      if (idx >= 0 && idx < chain.length) return redirect(302, chain[idx]!);
    }
    if (o.cookie_gate) {
      if (u.pathname === '/set-cookie') return redirect(302, u.searchParams.get('next') ?? '/', { 'Set-Cookie': 'sw_lab=1; Path=/' });
      if (!/(^|;\s*)sw_lab=1/.test(req.headers.cookie ?? '')) return redirect(302, `/set-cookie?next=${encodeURIComponent(u.pathname)}`);
    }
    if (o.delay_ms) await new Promise((r) => setTimeout(r, o.delay_ms));
    if (res.destroyed) return;
    if (o.endless) {
      res.writeHead(200, { ...common, 'Content-Type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
      return;
    }
    const body = o.page === 'normal' ? sitePage(ls.site, u.pathname) : Buffer.from(o.page === 'captcha' ? CAPTCHA_PAGE : ACCESS_DENIED_PAGE);
    const status = o.page === 'normal' ? 200 : 403;
    res.writeHead(status, { ...common, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length), 'X-Lab-Origin': 'yes' });
    if (o.body_ms) await writeSlowly(res, body, o.body_ms);
    else res.end(body);
  };
}

/** An origin's own "Access Denied" page (a WAF), served to everyone: vague blocking words, not censorship. */
export const ACCESS_DENIED_PAGE =
  '<!DOCTYPE html><html><head><title>Access Denied</title></head><body><h1>Access Denied</h1><p>You don\'t have permission to access this resource on this server. Reference #18.4f2a</p></body></html>\n';
/** A CDN's CAPTCHA interstitial. */
export const CAPTCHA_PAGE =
  '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><h1>Checking your browser before accessing the site</h1><p>Please complete the security check (CAPTCHA) to continue.</p></body></html>\n';

/** Reads a TLS ClientHello from the first bytes of a connection and returns its SNI host name. */
export function parseSni(buf: Buffer): { complete: boolean; sni: string | null } {
  if (buf.length < 5) return { complete: false, sni: null };
  if (buf[0] !== 0x16) return { complete: true, sni: null };
  const recLen = buf.readUInt16BE(3);
  if (buf.length < 5 + recLen) return { complete: false, sni: null };
  try {
    let p = 5;
    if (buf[p] !== 1) return { complete: true, sni: null };
    p += 4 + 2 + 32; // handshake header, version, random
    p += 1 + buf[p]!; // session id
    p += 2 + buf.readUInt16BE(p); // cipher suites
    p += 1 + buf[p]!; // compression
    const extEnd = p + 2 + buf.readUInt16BE(p);
    p += 2;
    while (p + 4 <= extEnd) {
      const type = buf.readUInt16BE(p);
      const len = buf.readUInt16BE(p + 2);
      if (type === 0) {
        let q = p + 4 + 2;
        const end = p + 4 + len;
        while (q + 3 <= end) {
          const nt = buf[q]!;
          const nl = buf.readUInt16BE(q + 1);
          if (nt === 0) return { complete: true, sni: buf.subarray(q + 3, q + 3 + nl).toString('ascii') };
          q += 3 + nl;
        }
      }
      p += 4 + len;
    }
  } catch {
    /* malformed: no SNI */
  }
  return { complete: true, sni: null };
}

function rawResponse(status: number, reason: string, headers: Record<string, string>, body: string): Buffer {
  const b = Buffer.from(body);
  const lines = [`HTTP/1.1 ${status} ${reason}`, ...Object.entries({ ...headers, 'Content-Length': String(b.length), Connection: 'close' }).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), b]);
}

/** Start everything for a scenario (in a free 127.<slot>.0.0/16). Call `close()` to stop it all. */
export async function startLab(scenario: Scenario, opts: { slot?: number } = {}): Promise<Lab> {
  for (let attempt = 0; ; attempt++) {
    const slot = opts.slot ?? 20 + Math.floor(Math.random() * 230);
    try {
      return await startLabAt(scenario, labLayout(slot));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.slot !== undefined || attempt >= 8) throw e;
    }
  }
}

async function startLabAt(scenario: Scenario, L: Layout): Promise<Lab> {
  if (scenario.sites.length > L.maxSites) throw new Error(`the lab holds at most ${L.maxSites} sites`);
  const REFUSED = L.refused;
  const closers: Closer[] = [];
  const stalled = new Set<net.Socket>();
  const sites: LabSite[] = scenario.sites.map((site, i) => ({
    site,
    host: siteHost(site),
    port: sitePort(site),
    publicIp: siteAddr(i, '45.20'),
    publicIp6: site.origin.ipv6_only ? `2a00:1450:4001:${(i + 1).toString(16)}::1` : null,
    proxyIp: siteAddr(i, '77.19'),
    originIp: L.origin(i),
    middleboxIp: L.middlebox(i),
    deadIps: Array.from({ length: site.origin.dead_extra_addrs }, (_, k) => siteAddr(i, `45.${22 + k}`)),
  }));
  const byHost = new Map(sites.map((s) => [s.host, s]));
  const byPublic = new Map(sites.map((s) => [s.publicIp, s]));
  const byProxy = new Map(sites.filter((s) => s.site.censor.dns === 'proxy').map((s) => [s.proxyIp, s]));
  const byOrigin = new Map(sites.map((s) => [s.originIp, s]));
  const v6Listen = new Map<string, number>(); // "publicIp6|port" -> physical port on ::1
  const deadPublic = new Set(sites.flatMap((s) => s.deadIps));

  try {
    // ---- black hole for silent drops: a stopped child process whose full accept queue drops every SYN ----
    const bh = await startBlackhole(L.blackhole);
    closers.push(bh);

    // ---- origin servers: one shared HTTP and HTTPS handler, a listener per site address ----
    const httpApp = http.createServer(originHandler(byOrigin, 'http'));
    const httpsApp = https.createServer({ key: pem('site-key.pem'), cert: pem('site-cert.pem') }, originHandler(byOrigin, 'https'));
    // origins whose own certificate is bad (for everyone)
    const faultApps = {
      expired: https.createServer({ key: pem('expired-key.pem'), cert: pem('expired-cert.pem') }, originHandler(byOrigin, 'https')),
      wrong_name: https.createServer({ key: pem('wrongname-key.pem'), cert: pem('wrongname-cert.pem') }, originHandler(byOrigin, 'https')),
      unknown_authority: https.createServer({ key: pem('rogue-key.pem'), cert: pem('rogue-cert.pem') }, originHandler(byOrigin, 'https')),
    };
    // a CDN's CAPTCHA for the probe's network: valid certificate, a 403 interstitial instead of the page
    const captchaApp = https.createServer({ key: pem('site-key.pem'), cert: pem('site-cert.pem') }, (_req, res) => {
      res.writeHead(403, { 'Content-Type': 'text/html; charset=utf-8', Server: 'cdn-edge', 'Cache-Control': 'no-store' }).end(CAPTCHA_PAGE);
    });
    for (const app of [httpApp, httpsApp, captchaApp, ...Object.values(faultApps)]) {
      app.keepAliveTimeout = 500;
      app.on('tlsClientError', () => undefined);
      closers.push({ close: () => app.closeAllConnections() });
    }
    const listeners: net.Server[] = [];
    const accepted = new Set<net.Socket>();
    const addListener = async (host: string, port: number, onConn: (s: net.Socket) => void) => {
      const srv = net.createServer({ pauseOnConnect: false }, (sock) => {
        accepted.add(sock);
        sock.once('close', () => accepted.delete(sock));
        onConn(sock);
      });
      srv.on('error', () => undefined);
      await listen(srv, host, port);
      listeners.push(srv);
      return srv;
    };
    await Promise.all(
      sites.flatMap((ls) => {
        const o = ls.site.origin;
        if (o.down) return [];
        const out: Promise<unknown>[] = [];
        const tlsApp = o.tls_fault ? faultApps[o.tls_fault] : httpsApp;
        const onHttp = (s: net.Socket) => httpApp.emit('connection', s);
        const onHttps = (s: net.Socket) => tlsApp.emit('connection', s);
        if (o.ipv6_only) {
          // one listener per port on ::1 (random physical port); the lab's handler finds the site by local port
          for (const [port, on, want] of [[80, onHttp, o.http], [443, onHttps, o.https]] as const) {
            if (!want) continue;
            out.push(
              addListener('::1', 0, on).then((srv) => {
                const phys = (srv.address() as net.AddressInfo).port;
                v6Listen.set(`${ls.publicIp6}|${port}`, phys);
                byOrigin.set(`::1|${phys}`, ls);
              }),
            );
          }
          return out;
        }
        if (ls.site.port) {
          out.push(addListener(ls.originIp, ls.site.port, ls.site.scheme === 'https' ? onHttps : onHttp));
          return out;
        }
        if (o.http) out.push(addListener(ls.originIp, PHYS(80), onHttp));
        if (o.https) out.push(addListener(ls.originIp, PHYS(443), onHttps));
        return out;
      }),
    );

    // ---- the censor's block server (where injected DNS answers lead) and the lab blockpage host ----
    const blockApp = http.createServer((req, res) => {
      const bp = BLOCKPAGES['id-trustpositif']!;
      if (req.socket.localAddress === L.labBlockpage) res.writeHead(bp.status, bp.headers).end(bp.body);
      else res.writeHead(200, { 'Content-Type': 'text/html' }).end(GENERIC_BLOCKPAGE);
    });
    closers.push({ close: () => blockApp.closeAllConnections() });
    const rogueTls = tls.createServer({ key: pem('rogue-key.pem'), cert: pem('rogue-cert.pem') }, (s) => s.end());
    const wrongTls = tls.createServer({ key: pem('wrongname-key.pem'), cert: pem('wrongname-cert.pem') }, (s) => s.end());
    for (const t of [rogueTls, wrongTls]) t.on('tlsClientError', () => undefined);
    await addListener(L.blockServer, PHYS(80), (s) => blockApp.emit('connection', s));
    await addListener(L.blockServer, PHYS(443), (s) => rogueTls.emit('connection', s));
    await addListener(L.labBlockpage, PHYS(80), (s) => blockApp.emit('connection', s));

    // ---- middleboxes, one listener per censored site and port ----
    const mbox = new Map<string, { host: string; port: number }>(); // "publicIp:port" -> where the probe's path goes
    for (const ls of sites) {
      const c = ls.site.censor;
      const ports = ls.site.port ? [ls.site.port] : [80, 443];
      for (const port of ports) {
        const key = `${ls.publicIp}:${port}`;
        const isTlsPort = ls.site.port ? ls.site.scheme === 'https' : port === 443;
        if (c.tcp === 'refuse') {
          mbox.set(key, REFUSED);
          continue;
        }
        if (c.tcp === 'drop') {
          mbox.set(key, bh.endpoint);
          continue;
        }
        const origin = { host: ls.originIp, port: PHYS(port) };
        const originUp = !ls.site.origin.down && (ls.site.port ? true : port === 80 ? ls.site.origin.http : ls.site.origin.https);
        let handler: ((s: net.Socket) => void) | null = null;
        if (isTlsPort && (c.tls === 'rogue_cert' || c.tls === 'wrong_name')) {
          const t = c.tls === 'rogue_cert' ? rogueTls : wrongTls;
          handler = (s) => t.emit('connection', s);
        } else if (isTlsPort && (c.tls === 'reset' || c.tls === 'drop')) {
          handler = sniFilter(ls.host, c.tls, origin, originUp, c.throttle_bps, stalled);
        } else if (isTlsPort && ls.site.origin.captcha_for_probe) {
          handler = (s) => captchaApp.emit('connection', s);
        } else if (!isTlsPort && c.http) {
          handler = httpInjector(ls, c.http, stalled);
        } else if (c.throttle_bps && originUp) {
          handler = (s) => proxy(s, Buffer.alloc(0), origin, c.throttle_bps);
        }
        if (!handler) continue;
        await addListener(ls.middleboxIp, PHYS(port), handler);
        mbox.set(key, { host: ls.middleboxIp, port: PHYS(port) });
      }
    }
    closers.push({
      close: async () => {
        for (const s of stalled) s.destroy();
        const closing = Promise.all(listeners.map(closeServer));
        for (const s of accepted) s.destroy();
        await closing;
      },
    });

    // ---- DNS: clean authoritative server, censoring ISP resolver ----
    const zone = (name: string, qtype: number): { rcode: number; answers: DnsRecord[] } => {
      const n = name.toLowerCase().replace(/\.$/, '');
      const ls = byHost.get(n);
      if (n === `blockpage.${LAB_DOMAIN}`) return { rcode: 0, answers: qtype === QTYPE.A ? [{ name, type: QTYPE.A, ttl: 60, data: LAB_BLOCKPAGE_PUBLIC }] : [] };
      if (!ls || ls.site.origin.down === 'nxdomain') return { rcode: RCODE.NXDOMAIN, answers: [] };
      if (ls.publicIp6) return { rcode: 0, answers: qtype === QTYPE.AAAA ? [{ name, type: QTYPE.AAAA, ttl: 60, data: ls.publicIp6 }] : [] };
      if (qtype !== QTYPE.A) return { rcode: 0, answers: [] };
      return { rcode: 0, answers: [ls.publicIp, ...ls.deadIps].map((data) => ({ name, type: QTYPE.A, ttl: 60, data })) };
    };
    const auth = await startDnsServer(L.authDns, async (q) => zone(q.name, q.type));
    closers.push(auth);
    const upstream = new UdpResolver(L.authDns, auth.port);
    const censor = await startDnsServer(L.censorDns, async (q) => {
      const ls = byHost.get(q.name.toLowerCase().replace(/\.$/, ''));
      const rule = ls?.site.censor.dns;
      if (rule === 'nxdomain') return { rcode: RCODE.NXDOMAIN, answers: [] };
      if (rule === 'empty') return { rcode: 0, answers: [] };
      if (rule && ls) {
        const data = rule === 'chosen' ? ls.site.censor.dns_ip! : rule === 'proxy' ? ls.proxyIp : DNS_INJECT[rule]!;
        return { rcode: 0, answers: q.type === QTYPE.A ? [{ name: q.name, type: QTYPE.A, ttl: 60, data }] : [] };
      }
      // forward within the probe's own DNS timeout, so a slow (loaded) machine gives a late answer, not SERVFAIL
      const r = await upstream.lookup(q.name, q.type === QTYPE.AAAA ? 'AAAA' : 'A', Math.max(500, scenario.timeouts.dns_ms - 300));
      if (r.rcode < 0) return { rcode: RCODE.SERVFAIL, answers: [] };
      return { rcode: r.rcode, answers: r.answers };
    });
    closers.push(censor);

    // ---- routes ----
    const originRoute = (ls: LabSite, port: number) => {
      const o = ls.site.origin;
      if (o.down === 'timeout') return bh.endpoint;
      const up = !o.down && (ls.site.port ? port === ls.site.port : port === 80 ? o.http : port === 443 ? o.https : false);
      return up ? { host: ls.originIp, port: PHYS(port) } : REFUSED;
    };
    // chosen public addresses lead to the ISP's block server; chosen private ones (127.0.0.1…) refuse, as they would
    const chosenIps = new Set(sites.map((s) => s.site.censor.dns_ip).filter((x): x is string => Boolean(x) && !byPublic.has(x!) && !isBogon(x!)));
    const cleanRoute: Route = (ip, port) => {
      const ls = byPublic.get(ip);
      if (ls) return originRoute(ls, port);
      const v6 = v6Listen.get(`${ip}|${port}`);
      if (v6) return { host: '::1', port: v6 };
      if (ip.includes(':') && [...v6Listen.keys()].some((k) => k.startsWith(`${ip}|`))) return REFUSED;
      if (ip === LAB_BLOCKPAGE_PUBLIC && port === 80) return { host: L.labBlockpage, port: PHYS(80) };
      if (deadPublic.has(ip)) return REFUSED;
      throw new Error(`no route to ${ip}`);
    };
    const probeRoute: Route = (ip, port) => {
      const m = mbox.get(`${ip}:${port}`);
      if (m) return m;
      if ((INJECTED_TO_BLOCK_SERVER.has(ip) || chosenIps.has(ip)) && (port === 80 || port === 443)) return { host: L.blockServer, port: PHYS(port) };
      if (ip === DNS_INJECT.localhost || ip === DNS_INJECT.bogon || chosenIps.has(ip) || (isBogon(ip) && !byPublic.has(ip))) return REFUSED;
      const px = byProxy.get(ip);
      if (px) return originRoute(px, port); // the transparent proxy forwards to the real site
      return cleanRoute(ip, port);
    };
    // the helper's path is clean, except for sites whose censor (or fault) sits on its path too
    const controlToo = sites.filter((s) => s.site.censor.control_too);
    const controlTooIps = new Set(
      controlToo.flatMap((s) => [s.publicIp, s.proxyIp, ...(s.site.censor.dns_ip ? [s.site.censor.dns_ip] : []), ...(s.site.censor.dns && DNS_INJECT[s.site.censor.dns] ? [DNS_INJECT[s.site.censor.dns]!] : [])]),
    );
    const thRoute: Route = (ip, port) => (controlTooIps.has(ip) ? probeRoute(ip, port) : cleanRoute(ip, port));
    const controlTooHosts = new Set(controlToo.map((s) => s.host));
    const censorForTh = new UdpResolver(L.censorDns, censor.port);
    const thResolver: Resolver = {
      engine: 'udp',
      address: upstream.address,
      lookup: (host, qtype, ms) => (controlTooHosts.has(host.toLowerCase().replace(/\.$/, '')) ? censorForTh : upstream).lookup(host, qtype, ms),
    };
    const byUrl = new Map(sites.map((s) => [siteUrl(s.site), s]));

    // ---- the lab's own test helper (clean vantage point) ----
    const th: RunningHelper = await startTestHelper({
      host: L.th,
      port: TH_PORT,
      resolver: thResolver,
      route: thRoute,
      ca: LAB_CA(),
      faultFor: (u) => byUrl.get(u)?.site.control ?? null,
      timeouts: {
        dnsMs: scenario.timeouts.dns_ms,
        tcpMs: scenario.timeouts.tcp_ms,
        tlsMs: scenario.timeouts.tls_ms,
        httpMs: scenario.timeouts.http_ms,
      },
    });
    closers.push(th);

    return {
      sites,
      censorResolver: { host: L.censorDns, port: censor.port },
      authResolver: { host: L.authDns, port: auth.port },
      thUrl: th.url,
      probeRoute,
      cleanRoute,
      ca: LAB_CA(),
      close: () => closeAll(closers),
    };
  } catch (e) {
    await closeAll(closers);
    throw e;
  }
}

async function closeAll(closers: Closer[]) {
  for (const c of closers.reverse()) {
    try {
      await c.close();
    } catch {
      /* keep closing the rest */
    }
  }
}

/** Pipes a client to `origin`, optionally throttling what flows back to the client. */
function proxy(client: net.Socket, head: Buffer, origin: { host: string; port: number }, throttleBps?: number) {
  const up = net.connect(origin.port, origin.host);
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
  client.on('close', () => up.destroy());
  up.on('close', () => {
    if (!throttleBps) client.end();
  });
  up.once('connect', () => {
    if (head.length) up.write(head);
    client.pipe(up);
    if (!throttleBps) {
      up.pipe(client);
      return;
    }
    const tick = 50;
    const perTick = Math.max(1, Math.floor((throttleBps * tick) / 1000));
    let queue: Buffer[] = [];
    let queued = 0;
    let ended = false;
    up.on('data', (d: Buffer) => {
      queue.push(d);
      queued += d.length;
      if (queued > perTick * 8) up.pause();
    });
    up.on('end', () => (ended = true));
    const timer = setInterval(() => {
      let budget = perTick;
      const out: Buffer[] = [];
      while (budget > 0 && queue.length) {
        const b = queue[0]!;
        if (b.length <= budget) {
          out.push(b);
          budget -= b.length;
          queue.shift();
        } else {
          out.push(b.subarray(0, budget));
          queue[0] = b.subarray(budget);
          budget = 0;
        }
      }
      const sent = perTick - budget;
      queued -= sent;
      if (out.length && !client.destroyed) client.write(Buffer.concat(out));
      if (queued <= perTick * 4) up.resume();
      if (ended && !queue.length) {
        clearInterval(timer);
        client.end();
      }
    }, tick);
    client.on('close', () => {
      clearInterval(timer);
      queue = [];
    });
  });
}

function sniFilter(host: string, action: 'reset' | 'drop', origin: { host: string; port: number }, originUp: boolean, throttle: number | undefined, stalled: Set<net.Socket>) {
  return (s: net.Socket) => {
    let buf = Buffer.alloc(0);
    s.on('error', () => undefined);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const { complete, sni } = parseSni(buf);
      if (!complete && buf.length < 16384) return;
      s.off('data', onData);
      if (sni && sni.toLowerCase() === host) {
        if (action === 'reset') s.resetAndDestroy();
        else {
          s.pause();
          stalled.add(s);
          s.on('close', () => stalled.delete(s));
        }
        return;
      }
      if (!originUp) {
        s.resetAndDestroy();
        return;
      }
      s.pause();
      proxy(s, buf, origin, throttle);
      s.resume();
    };
    s.on('data', onData);
  };
}

function httpInjector(ls: LabSite, rule: string, stalled: Set<net.Socket>) {
  return (s: net.Socket) => {
    let buf = '';
    s.on('error', () => undefined);
    s.setEncoding('latin1');
    const onData = (d: string) => {
      buf += d;
      if (!buf.includes('\r\n\r\n') && buf.length < 16384) return;
      s.off('data', onData);
      const path = /^GET (\S+)/.exec(buf)?.[1] ?? '/';
      const requested = `http://${ls.host}${ls.site.port ? `:${ls.site.port}` : ''}${path}`;
      if (rule === 'reset') {
        s.resetAndDestroy();
        return;
      }
      if (rule === 'eof') {
        s.end(); // a clean close instead of an answer
        return;
      }
      if (rule === 'stall') {
        s.pause(); // the request is swallowed: no answer, no close
        stalled.add(s);
        s.on('close', () => stalled.delete(s));
        return;
      }
      let out: Buffer;
      if (rule.startsWith('blockpage:')) {
        const bp = BLOCKPAGES[rule.slice('blockpage:'.length)]!;
        out = rawResponse(bp.status, bp.status === 200 ? 'OK' : 'Forbidden', bp.headers, bp.body);
      } else if (rule.startsWith('redirect:')) {
        const r = BLOCK_REDIRECTS[rule.slice('redirect:'.length)]!;
        out = rawResponse(302, 'Found', { Location: r.location + encodeURIComponent(requested) }, '');
      } else if (rule === 'redirect_blockpage') {
        out = rawResponse(302, 'Found', { Location: `http://blockpage.${LAB_DOMAIN}/?u=${encodeURIComponent(requested)}` }, '');
      } else if (rule === 'status_403') {
        out = rawResponse(403, 'Forbidden', { 'Content-Type': 'text/plain' }, 'Forbidden\n');
      } else if (rule === 'empty_200') {
        out = rawResponse(200, 'OK', { 'Content-Type': 'text/html' }, '');
      } else {
        // body_rewrite: a different page with the same status
        out = rawResponse(200, 'OK', { 'Content-Type': 'text/html' }, '<html><head><title>Content unavailable</title></head><body>Content unavailable in your region.</body></html>');
      }
      s.end(out);
      void stalled;
    };
    s.on('data', onData);
  };
}

export interface DnsServer {
  port: number;
  close(): Promise<void>;
}

/** A UDP DNS server on host (random port) answering with `answer`. */
export async function startDnsServer(
  host: string,
  answer: (q: { name: string; type: number }) => Promise<{ rcode: number; answers: DnsRecord[] }>,
): Promise<DnsServer> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', async (msg, rinfo) => {
    let query;
    try {
      query = decodeMessage(msg);
    } catch {
      return; // drop garbage, as real servers do
    }
    const q = query.questions[0];
    if (!q) return;
    try {
      const r = await answer({ name: q.name, type: q.type });
      sock.send(encodeResponse(query, r.answers, r.rcode), rinfo.port, rinfo.address);
    } catch {
      sock.send(encodeResponse(query, [], RCODE.SERVFAIL), rinfo.port, rinfo.address);
    }
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, host, () => resolve());
  });
  return { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}

/**
 * A TCP endpoint that silently drops SYNs: a listener in a stopped child process (it never accepts), whose accept
 * queue we fill; the kernel then drops further SYNs and the client's connect times out.
 */
async function startBlackhole(host: string): Promise<{ endpoint: { host: string; port: number }; close(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', `const s=require('net').createServer(()=>{});s.listen({host:${JSON.stringify(host)},port:0,backlog:1},()=>process.send(s.address().port));`],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`black-hole helper exited (${code})`)));
  });
  child.removeAllListeners('exit');
  child.kill('SIGSTOP');
  const held: net.Socket[] = [];
  for (let i = 0; i < 8; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, host);
      const t = setTimeout(() => {
        s.destroy();
        r(false);
      }, 250);
      s.once('connect', () => {
        clearTimeout(t);
        held.push(s);
        r(true);
      });
      s.once('error', () => {
        clearTimeout(t);
        r(false);
      });
    });
    if (!ok) break;
  }
  return {
    endpoint: { host, port },
    close: async () => {
      for (const s of held) s.destroy();
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
