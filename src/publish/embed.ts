import { Hono } from 'hono';
import type { AppEnv } from '../platform/http.js';
import { countryName, isCountryCode } from '../core/countries.js';
import { cachedPublic, listPublicIncidents, publicCountryStats, publicCountryYears } from '../incidents/publishing.js';
import { DICTS, dirOf, isLang, type Lang } from './i18n.js';
import { esc } from './html.js';
import { columnChart, timeline, worldMap } from './svg.js';
import { prepare, sendPrepared } from './guard.js';

/**
 * Embeds for partners' sites: a country's map, timeline or chart as a tiny static page meant for an <iframe>
 * (inline SVG, no script, no external asset). These are the only pages other sites may frame.
 */
export const EMBED_KINDS = ['map', 'timeline', 'chart'] as const;

export function embedRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/public/embed/:cc/:kind', async (c) => {
    const cc = c.req.param('cc').toUpperCase();
    const kind = c.req.param('kind');
    const l = c.req.query('lang') ?? 'en';
    const lang: Lang = isLang(l) ? l : 'en';
    const frame = () => {
      c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors *; base-uri 'none'; form-action 'none'");
    };
    if (!isCountryCode(cc)) return c.text(`country: "${c.req.param('cc')}" is not an ISO 3166-1 alpha-2 country code.`, 404);
    if (!(EMBED_KINDS as readonly string[]).includes(kind)) return c.text(`kind: must be one of ${EMBED_KINDS.join(', ')}.`, 404);
    const db = c.get('db');
    const body = await cachedPublic(db, `embed:${cc}:${kind}:${lang}`, async () => {
      const t = DICTS[lang];
      const name = countryName(cc, lang);
      let svg = '';
      if (kind === 'map') {
        const stats = await publicCountryStats(db, {});
        svg = worldMap(new Map(stats.filter((s) => s.country === cc).map((s) => [s.country, s.count])), { lang, label: `${t.map}: ${name}`, highlight: cc });
      } else if (kind === 'chart') {
        const years = await publicCountryYears(db, cc);
        const per = new Map<number, number>();
        for (const y of years) per.set(y.year, (per.get(y.year) ?? 0) + y.count);
        svg = columnChart([...per].sort((a, b) => a[0] - b[0]).map(([y, n]) => ({ label: String(y), value: n })), { label: `${t.overTime}: ${name}`, rtl: lang === 'ar' });
      } else {
        const list = await listPublicIncidents(db, { country: cc, page: 1, pageSize: 60 });
        const spans = list.items.filter((i) => i.startAt).map((i) => ({ label: i.title, start: i.startAt!, end: i.endAt }));
        const from = spans.length ? spans[spans.length - 1]!.start : new Date().toISOString();
        svg = timeline(spans, { label: `${t.timeline}: ${name}`, from, to: new Date().toISOString() });
      }
      return prepare(`<!doctype html><html lang="${lang}" dir="${dirOf(lang)}"><head><meta charset="utf-8"><title>${esc(name)}</title><style>body{margin:0;font:13px system-ui,"DejaVu Sans",sans-serif}svg{width:100%;height:auto}p{margin:2px 6px}</style></head>
<body>${svg}<p><a href="/public/${lang}/countries/${cc}" target="_top">${esc(name)} — ${esc(t.site)}</a></p></body></html>`, 'text/html; charset=utf-8');
    });
    frame();
    return sendPrepared(c, body);
  });
  return r;
}
