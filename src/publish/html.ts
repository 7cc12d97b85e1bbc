import { DICTS, LANGS, dirOf, type Lang } from './i18n.js';

/** Server-rendered HTML for the public site: no script, no third-party asset, one small inline stylesheet. */

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '');

export const STYLE = `*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,"Noto Sans","Noto Sans Arabic","DejaVu Sans",sans-serif;color:#1d1d1f;background:#fff}
header,main,footer{max-width:1040px;margin:0 auto;padding:12px 16px}header{border-bottom:1px solid #ddd}header a.brand{font-weight:700;font-size:1.2em;color:#9e2a12;text-decoration:none}
nav a{margin-inline-end:12px}nav.langs a{margin-inline-end:8px;font-size:.9em}a{color:#1a56db}table{border-collapse:collapse;width:100%}th,td{text-align:start;padding:4px 6px;border-bottom:1px solid #eee;vertical-align:top}
svg.map{width:100%;height:auto}iframe.map{display:block;width:100%;height:auto;aspect-ratio:960/470;border:0}svg.chart{max-width:100%;height:auto}.muted{color:#555;font-size:.9em}.tag{display:inline-block;background:#f1f1f1;border-radius:3px;padding:0 6px;margin:2px;font-size:.85em}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end}form.filters label{display:flex;flex-direction:column;font-size:.85em}.big{font-size:2em;font-weight:700}
footer{border-top:1px solid #ddd;margin-top:24px;font-size:.85em;color:#555}code,pre{background:#f6f6f6;padding:2px 4px;white-space:pre-wrap;word-break:break-all}`;

export interface PageOpts {
  lang: Lang;
  title: string;
  /** Path of this page without the language prefix, for the language switcher and canonical link ("/incidents?x=y"). */
  path: string;
  body: string;
  publisher?: string;
  description?: string;
}

export function page(o: PageOpts): string {
  const t = DICTS[o.lang];
  const base = `/public/${o.lang}`;
  const langs = LANGS.map((l) => (l === o.lang ? `<strong>${esc(DICTS[l].langName)}</strong>` : `<a href="/public/${l}${esc(o.path)}" hreflang="${l}" lang="${l}">${esc(DICTS[l].langName)}</a>`)).join(' ');
  const alts = LANGS.map((l) => `<link rel="alternate" hreflang="${l}" href="/public/${l}${esc(o.path)}">`).join('');
  return `<!doctype html><html lang="${o.lang}" dir="${dirOf(o.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(o.title)} — ${esc(t.site)}</title><meta name="description" content="${esc(o.description ?? t.tagline)}"><link rel="canonical" href="${base}${esc(o.path)}">${alts}
<link rel="alternate" type="application/atom+xml" title="${esc(t.feed)}" href="/public/feeds/incidents.atom"><style>${STYLE}</style></head>
<body><header><a class="brand" href="${base}/">${esc(t.site)}</a><nav><a href="${base}/">${esc(t.home)}</a><a href="${base}/incidents">${esc(t.incidents)}</a><a href="${base}/countries">${esc(t.countries)}</a><a href="${base}/laws">${esc(t.laws)}</a><a href="${base}/reports">${esc(t.reports)}</a><a href="${base}/data">${esc(t.data)}</a><a href="${base}/alerts">${esc(t.alerts)}</a><a href="${base}/methodology">${esc(t.methodology)}</a></nav><nav class="langs">${langs}</nav></header>
<main><h1>${esc(o.title)}</h1>${o.body}</main><footer>${esc(t.tagline)}${o.publisher ? ` · ${esc(t.publishedBy)} ${esc(o.publisher)}` : ''} · <a href="${base}/methodology">${esc(t.licence)} / ${esc(t.attribution)}</a></footer></body></html>`;
}

export function table(headers: string[], rows: string[][]): string {
  if (!rows.length) return '';
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
