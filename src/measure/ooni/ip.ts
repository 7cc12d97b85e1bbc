import { isIPv4, isIPv6 } from 'node:net';

/** Bogon (private, reserved, loopback, documentation…) ranges, as OONI treats them in DNS verdicts. */
const V4_BOGONS: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

export function ipv4ToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return (((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) >>> 0;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function inCidr4(ip: string, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ipv4ToInt(ip) & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

export function isBogon(ip: string): boolean {
  if (isIPv4(ip)) return V4_BOGONS.some(([b, n]) => inCidr4(ip, b, n));
  if (isIPv6(ip)) {
    const l = ip.toLowerCase();
    if (l === '::' || l === '::1') return true;
    if (/^f[cd][0-9a-f]{0,2}:/.test(l)) return true; // fc00::/7
    if (/^fe[89ab][0-9a-f]?:/.test(l)) return true; // fe80::/10
    if (l.startsWith('ff')) return true; // multicast
    if (l.startsWith('2001:db8:')) return true; // documentation
    if (l.startsWith('::ffff:')) {
      // v4-mapped, dotted (::ffff:127.0.0.1) or hex (::ffff:7f00:1): judged as the IPv4 address it maps
      const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(l);
      if (hex) {
        const hi = parseInt(hex[1]!, 16);
        const lo = parseInt(hex[2]!, 16);
        return isBogon(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
      }
      return isBogon(l.slice(7));
    }
    return false;
  }
  return true; // not an IP address at all
}

/** "ip:port" with IPv6 in brackets, as OONI writes endpoints. */
export function endpoint(ip: string, port: number): string {
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function parseEndpoint(s: string): { ip: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) return null;
  if (!isIPv4(m[1]!) && !isIPv6(m[1]!)) return null;
  return { ip: m[1]!, port };
}
