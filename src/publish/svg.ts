import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoEqualEarth, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { allCountryCodes, countryName, countryNumeric } from '../core/countries.js';
import { esc } from './html.js';

/** Pictures as inline SVG, drawn on the server: a world map (world-atlas, Natural Earth 1:110m, d3-geo) and charts. */

const require = createRequire(import.meta.url);
export const MAP_W = 960;
export const MAP_H = 470;
let shapes: { cc: string; d: string }[] | null = null;

function countryShapes(): { cc: string; d: string }[] {
  if (shapes) return shapes;
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8')) as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const fc = feature(topo, topo.objects.countries) as GeoJSON.FeatureCollection<GeoJSON.Geometry, { name: string }>;
  const features = fc.features.filter((f) => String(f.id) !== '010');
  const byNumeric = new Map<string, string>();
  for (const cc of allCountryCodes()) {
    const n = countryNumeric(cc);
    if (n) byNumeric.set(n.padStart(3, '0'), cc);
  }
  const projection = geoEqualEarth().fitExtent([[4, 4], [MAP_W - 4, MAP_H - 4]], { type: 'FeatureCollection', features });
  const path = geoPath(projection);
  shapes = features
    .map((f) => ({ cc: f.properties?.name === 'Kosovo' ? 'XK' : (byNumeric.get(String(f.id ?? '').padStart(3, '0')) ?? ''), d: compactPath(path(f) ?? '') }))
    .filter((s) => s.d);
  return shapes;
}

/**
 * A path of d3-geo (absolute M/L/Z commands) in few bytes, for a map that every public home page carries: points
 * rounded to whole units of the 960-wide frame, repeated points dropped, the outline simplified to within 0.7 units
 * (Douglas–Peucker; no visible difference at this size), collinear points and rings that collapse to less than a
 * triangle dropped, and each ring written as one relative `l` command (small signed steps).
 */
/** How far (in units of the 960-wide frame) a simplified outline may stray from the drawn one: under a pixel. */
const SIMPLIFY_PX = 0.7;

/** Douglas–Peucker: the points of a line that keep it within `eps` of the original (first and last always kept). */
function simplify(pts: [number, number][], eps: number): [number, number][] {
  if (pts.length < 4) return pts;
  const keep = new Uint8Array(pts.length);
  keep[0] = keep[pts.length - 1] = 1;
  const stack: [number, number][] = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const [ax, ay] = pts[a]!;
    const [bx, by] = pts[b]!;
    const len = Math.hypot(bx - ax, by - ay);
    let far = -1;
    let max = eps;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = pts[i]!;
      const dist = len === 0 ? Math.hypot(px - ax, py - ay) : Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / len;
      if (dist > max) {
        max = dist;
        far = i;
      }
    }
    if (far >= 0) {
      keep[far] = 1;
      stack.push([a, far], [far, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

export function compactPath(d: string): string {
  let out = '';
  for (const ring of d.split(/Z/i)) {
    const pts: [number, number][] = [];
    for (const m of ring.matchAll(/[ML]\s*(-?[\d.]+(?:e-?\d+)?)[ ,](-?[\d.]+(?:e-?\d+)?)/gi)) {
      const p: [number, number] = [Math.round(Number(m[1])), Math.round(Number(m[2]))];
      const last = pts[pts.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
    }
    while (pts.length > 1 && pts[0]![0] === pts[pts.length - 1]![0] && pts[0]![1] === pts[pts.length - 1]![1]) pts.pop();
    const kept: [number, number][] = [];
    for (const p of simplify(pts, SIMPLIFY_PX)) {
      while (kept.length >= 2) {
        const a = kept[kept.length - 2]!;
        const b = kept[kept.length - 1]!;
        if ((b[0] - a[0]) * (p[1] - a[1]) !== (b[1] - a[1]) * (p[0] - a[0])) break;
        kept.pop(); // b lies on the line from a to p
      }
      kept.push(p);
    }
    if (kept.length < 3) continue;
    out += `M${kept[0]![0]} ${kept[0]![1]}l`;
    for (let i = 1; i < kept.length; i++) {
      const dx = kept[i]![0] - kept[i - 1]![0];
      const dy = kept[i]![1] - kept[i - 1]![1];
      out += `${i > 1 && dx >= 0 ? ' ' : ''}${dx}${dy >= 0 ? ' ' : ''}${dy}`;
    }
    out += 'z';
  }
  return out;
}

export const MAP_COLOURS = ['#e8eaed', '#fde3c8', '#f9b98a', '#ef8650', '#d2522a', '#9e2a12'] as const;

function breaks(max: number): number[] {
  if (max <= 0) return [];
  if (max <= 5) return Array.from({ length: max }, (_, i) => i + 1);
  const out = [1];
  for (let i = 1; i < 5; i++) {
    const v = Math.round(Math.exp((Math.log(max) * i) / 5));
    if (v > out[out.length - 1]!) out.push(v);
  }
  return out;
}

/**
 * A choropleth of counts per country. Each country links to its page (when `href` is given) and carries a <title>
 * with its name and count, so the map reads without JavaScript and in a screen reader's list of links.
 */
export function worldMap(counts: Map<string, number>, opts: { lang: string; label: string; href?: (cc: string) => string; highlight?: string; target?: string }): string {
  const max = Math.max(0, ...counts.values());
  const b = breaks(max);
  const cls = (n: number) => {
    let k = 0;
    for (let i = 0; i < b.length; i++) if (n >= b[i]!) k = i + 1;
    return k;
  };
  const parts = countryShapes().map((s) => {
    const n = counts.get(s.cc) ?? 0;
    const fill = s.cc && s.cc === opts.highlight ? '#1a56db' : MAP_COLOURS[Math.min(cls(n), 5)];
    const title = s.cc ? `<title>${esc(countryName(s.cc, opts.lang))}: ${n}</title>` : '';
    const p = `<path d="${s.d}"${fill === MAP_COLOURS[0] ? '' : ` fill="${fill}"`}>${title}</path>`; // no count: the group's fill
    return s.cc && opts.href && n > 0 ? `<a href="${esc(opts.href(s.cc))}"${opts.target ? ` target="${esc(opts.target)}"` : ''}>${p}</a>` : p;
  });
  const legend = b
    .map((v, i) => `<rect x="${10 + i * 70}" y="${MAP_H - 24}" width="14" height="14" fill="${MAP_COLOURS[i + 1]}"/><text x="${28 + i * 70}" y="${MAP_H - 12}" font-size="12">≥ ${v}</text>`)
    .join('');
  return `<svg class="map" viewBox="0 0 ${MAP_W} ${MAP_H}" role="img" aria-label="${esc(opts.label)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.label)}</title><g fill="${MAP_COLOURS[0]}" stroke="#fff" stroke-width="0.5">${parts.join('')}</g>${legend}</svg>`;
}

/** Horizontal bars: one row per label, value at the end. Labels are text so they shape right in Arabic. */
export function barChart(rows: { label: string; value: number; href?: string }[], opts: { label: string; rtl?: boolean; width?: number }): string {
  const w = opts.width ?? 640;
  const lh = 22;
  const labelW = 220;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = rows.length * lh + 8;
  const body = rows
    .map((r, i) => {
      const y = 4 + i * lh;
      const bw = Math.max(1, Math.round(((w - labelW - 60) * r.value) / max));
      const x0 = opts.rtl ? w - labelW - bw : labelW;
      const tx = opts.rtl ? w - 4 : labelW - 6;
      const vx = opts.rtl ? x0 - 6 : x0 + bw + 6;
      const label = r.href ? `<a href="${esc(r.href)}"><text x="${tx}" y="${y + 15}" font-size="13" text-anchor="end" direction="${opts.rtl ? 'rtl' : 'ltr'}">${esc(r.label)}</text></a>` : `<text x="${tx}" y="${y + 15}" font-size="13" text-anchor="end" direction="${opts.rtl ? 'rtl' : 'ltr'}">${esc(r.label)}</text>`;
      return `${label}<rect x="${x0}" y="${y + 3}" width="${bw}" height="${lh - 6}" fill="#d2522a"/><text x="${vx}" y="${y + 15}" font-size="12" text-anchor="${opts.rtl ? 'end' : 'start'}">${r.value}</text>`;
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(opts.label)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.label)}</title>${body}</svg>`;
}

/** Vertical columns over time (months or years), labelled under each column. */
export function columnChart(cols: { label: string; value: number }[], opts: { label: string; rtl?: boolean; width?: number; height?: number }): string {
  const w = opts.width ?? 640;
  const h = opts.height ?? 200;
  const n = Math.max(1, cols.length);
  const cw = (w - 20) / n;
  const max = Math.max(1, ...cols.map((c) => c.value));
  const ordered = opts.rtl ? [...cols].reverse() : cols;
  const body = ordered
    .map((c, i) => {
      const bh = Math.round(((h - 40) * c.value) / max);
      const x = 10 + i * cw;
      return `<rect x="${(x + 2).toFixed(1)}" y="${h - 20 - bh}" width="${Math.max(1, cw - 4).toFixed(1)}" height="${bh}" fill="#d2522a"><title>${esc(c.label)}: ${c.value}</title></rect>` +
        `<text x="${(x + cw / 2).toFixed(1)}" y="${h - 6}" font-size="10" text-anchor="middle">${esc(c.label)}</text>` +
        (c.value ? `<text x="${(x + cw / 2).toFixed(1)}" y="${h - 24 - bh}" font-size="10" text-anchor="middle">${c.value}</text>` : '');
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(opts.label)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.label)}</title>${body}</svg>`;
}

/** A timeline of spans (incidents, outage events) on one axis from `from` to `to`. */
export function timeline(spans: { label: string; start: string; end: string | null; colour?: string; href?: string }[], opts: { label: string; from: string; to: string; width?: number }): string {
  const w = opts.width ?? 640;
  const t0 = Date.parse(opts.from);
  const t1 = Math.max(t0 + 86_400_000, Date.parse(opts.to));
  const x = (t: number) => 10 + ((w - 20) * (Math.min(Math.max(t, t0), t1) - t0)) / (t1 - t0);
  const rows = spans.slice(0, 60);
  const h = 30 + rows.length * 10;
  const body = rows
    .map((s, i) => {
      const a = x(Date.parse(s.start));
      const b = Math.max(a + 2, x(s.end ? Date.parse(s.end) + 86_399_000 : Date.parse(s.start) + 86_399_000));
      const r = `<rect x="${a.toFixed(1)}" y="${6 + i * 10}" width="${(b - a).toFixed(1)}" height="7" fill="${s.colour ?? '#d2522a'}"><title>${esc(s.label)}</title></rect>`;
      return s.href ? `<a href="${esc(s.href)}">${r}</a>` : r;
    })
    .join('');
  const axis = `<line x1="10" x2="${w - 10}" y1="${h - 18}" y2="${h - 18}" stroke="#888"/><text x="10" y="${h - 4}" font-size="11">${esc(opts.from.slice(0, 10))}</text><text x="${w - 10}" y="${h - 4}" font-size="11" text-anchor="end">${esc(opts.to.slice(0, 10))}</text>`;
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(opts.label)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.label)}</title>${body}${axis}</svg>`;
}
