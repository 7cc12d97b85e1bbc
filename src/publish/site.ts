import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import type { AppEnv } from '../platform/http.js';
import type { Db } from '../platform/db.js';
import { countryName, isCountryCode } from '../core/countries.js';
import { SEVERITIES } from '../core/taxonomy.js';
import {
  cachedPublic, getPublicIncident, getPublicLaw, listPublicIncidents, listPublicLaws, publicCountryStats, publicCountryYears, type PublicIncident,
} from '../incidents/publishing.js';
import { blockedSites } from '../measure/publishing.js';
import { publicOutageEvents } from '../outages/publishing.js';
import { publicCountryLedger } from '../ledger/publishing.js';
import { DICTS, LANGS, isLang, typeName, type Lang } from './i18n.js';
import { day, esc, page, qs, table } from './html.js';
import { MAP_H, MAP_W, columnChart, timeline, worldMap } from './svg.js';
import { PublicFilterSchema, TYPE_FILTERS, describeZod, toRegistryFilter } from './model.js';
import { RateLimiter, prepare, rateLimit, sendPrepared, withEtag } from './guard.js';
import { markFast } from './fastpath.js';
import { siteSettings } from './settings.js';
import { DATASETS } from './methodology.js';
import { annualFigures, annualHtml, countryReportHtml, htmlToPdf, PUBLISHED_AT_THE_TIME } from './report.js';
import { alertRoutes, atomFeed, feedVersion } from './alerts.js';
import { snapshotRoutes } from './snapshot.js';
import { embedRoutes } from './embed.js';

/**
 * The public site under /public: plain server-rendered HTML in four languages, nothing but what the registry's
 * publishing functions return (TLP:CLEAR and published). Every page is cached under the registry's write
 * generation, so a record that stops being public disappears from the next response.
 */

type C = Context<AppEnv>;
const REPORT_YEARS = [2022, 2021, 2020, 2019, 2018];

export interface SiteOptions {
  /** Requests a minute per client address (default 600, or STACKWATCH_PUBLIC_RATE). */
  ratePerMinute?: number;
}

/** A short time bucket for data that is not the registry's (measurements, outage events): at most 30 s old. */
const bucket = () => Math.floor(Date.now() / 30_000);

export function errorPage(c: C, lang: Lang, status: 400 | 404 | 429 | 500, message: string): Response {
  const t = DICTS[lang];
  const title = status === 404 ? t.notFound : status === 429 ? t.tooMany : t.badRequest;
  c.header('Cache-Control', 'no-store');
  return c.html(page({ lang, title, path: '/', body: `<p>${esc(message)}</p><p><a href="/public/${lang}/">${esc(t.home)}</a></p>` }), status);
}

function langOf(c: C): Lang {
  const l = c.req.param('lang') ?? '';
  return isLang(l) ? l : 'en';
}

async function html(c: C, key: string, render: () => Promise<string | null>): Promise<Response> {
  const db = c.get('db');
  const generation = db.registryGeneration; // read before the data: what the answer is valid for (fastpath.ts)
  const body = await cachedPublic(db, `page:${key}`, async () => {
    const h = await render();
    return h == null ? null : prepare(h, 'text/html; charset=utf-8');
  });
  if (body == null) return errorPage(c, langOf(c), 404, DICTS[langOf(c)].notFoundText);
  markFast(c, body, generation);
  return sendPrepared(c, body);
}

/**
 * A page that also shows data that is not the registry's (measurements, outage events): kept for the registry's
 * generation like every page, and re-rendered in the background once it is older than `maxAgeMs`, while the copy
 * in hand keeps being served (stale-while-revalidate). Nobody waits for a refresh, so a 30-second expiry no longer
 * sends a crowd of visitors to wait on one render; the registry's records in it are never stale (a registry write
 * moves the generation and the next request renders afresh), the rest is at most `maxAgeMs` plus one render old.
 */
async function htmlFresh(c: C, key: string, maxAgeMs: number, render: () => Promise<string | null>): Promise<Response> {
  const db = c.get('db');
  const build = async () => {
    const h = await render();
    return h == null ? null : prepare(h, 'text/html; charset=utf-8');
  };
  const generation = db.registryGeneration;
  const slot = await cachedPublic(db, `fresh:${key}`, async () => ({ value: await build(), at: Date.now(), refreshing: false }));
  if (Date.now() - slot.at > maxAgeMs && !slot.refreshing && db.registryGeneration != null) {
    slot.refreshing = true;
    build().then(
      (v) => Object.assign(slot, { value: v, at: Date.now(), refreshing: false }),
      () => Object.assign(slot, { refreshing: false }),
    );
  }
  if (slot.value == null) return errorPage(c, langOf(c), 404, DICTS[langOf(c)].notFoundText);
  markFast(c, slot.value, generation, slot.at + maxAgeMs);
  return sendPrepared(c, slot.value);
}

/** The world map in a page: its SVG document in a frame (its country links open in the page). */
function mapObject(lang: Lang): string {
  return `<iframe class="map" src="/public/${lang}/map.svg" width="${MAP_W}" height="${MAP_H}" title="${esc(DICTS[lang].map)}"></iframe>`;
}

function incidentRows(items: PublicIncident[], lang: Lang): string {
  const t = DICTS[lang];
  return table(
    [t.start, t.end, t.country, t.type, t.incidents],
    items.map((i) => [
      esc(day(i.startAt)), esc(day(i.endAt) || t.ongoingEnd), `<a href="/public/${lang}/countries/${i.country}">${esc(countryName(i.country, lang))}</a>`,
      esc(typeName(i.type, lang)), `<a href="/public/${lang}/incidents/${i.id}">${esc(i.title)}</a>`,
    ]),
  );
}

export function publicSite(opts: SiteOptions = {}): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const limiter = new RateLimiter(opts.ratePerMinute ?? Number(process.env.STACKWATCH_PUBLIC_RATE ?? 600));
  r.use('/public/*', rateLimit(limiter, 'html'));
  r.use('/public/*', compress());
  r.use('/public/*', async (c, next) => {
    const l = c.req.path.split('/')[2] ?? '';
    if (/^[a-z]{2}$/.test(l) && !isLang(l)) return errorPage(c, 'en', 404, `No public site in language "${l}": use ${LANGS.join(', ')}.`);
    await next();
  });
  r.get('/public', (c) => c.redirect('/public/en/'));
  r.get('/public/', (c) => c.redirect('/public/en/'));
  r.get('/public/:lang', async (c, next) => (isLang(c.req.param('lang')) ? c.redirect(`/public/${c.req.param('lang')}/`) : next()));

  r.get('/public/:lang/', (c) => {
    const lang = langOf(c);
    return html(c, `home:${lang}`, async () => {
      const db = c.get('db');
      const t = DICTS[lang];
      const site = await siteSettings(db);
      const [ongoing, latest] = await Promise.all([
        listPublicIncidents(db, { ongoing: true, page: 1, pageSize: 20 }),
        listPublicIncidents(db, { page: 1, pageSize: 15 }),
      ]);
      const body = `<p>${esc(t.tagline)}</p>
<section><h2>${esc(t.ongoing)}</h2>${incidentRows(ongoing.items, lang) || `<p>${esc(t.none)}</p>`}</section>
<section><h2>${esc(t.map)}</h2>${mapObject(lang)}</section>
<section><h2>${esc(t.latest)}</h2>${incidentRows(latest.items, lang) || `<p>${esc(t.none)}</p>`}<p><a href="/public/${lang}/incidents">${esc(t.incidents)} →</a> · <a href="/public/feeds/incidents.atom">${esc(t.feed)}</a></p></section>`;
      return page({ lang, title: site.publicName, path: '/', body, publisher: site.publicName });
    });
  });

  r.get('/public/:lang/incidents', async (c) => {
    const lang = langOf(c);
    const parsed = PublicFilterSchema.safeParse(c.req.query());
    if (!parsed.success) return errorPage(c, lang, 400, describeZod(parsed.error).message);
    const f = parsed.data;
    return html(c, `list:${lang}:${JSON.stringify(f)}`, async () => {
      const db = c.get('db');
      const t = DICTS[lang];
      const site = await siteSettings(db);
      const { items, total } = await listPublicIncidents(db, toRegistryFilter(f));
      const opt = (v: string, cur: string | undefined, label: string) => `<option value="${esc(v)}"${v === (cur ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
      const form = `<form class="filters" method="get" action="/public/${lang}/incidents">
<label>${esc(t.country)}<input name="country" size="4" maxlength="2" value="${esc(f.country ?? '')}" placeholder="IR"></label>
<label>${esc(t.type)}<select name="type">${opt('', f.type, t.any)}${TYPE_FILTERS.map((x) => opt(x, f.type, typeName(x, lang))).join('')}</select></label>
<label>${esc(t.severity)}<select name="severity">${opt('', f.severity, t.any)}${SEVERITIES.map((x) => opt(x, f.severity, x)).join('')}</select></label>
<label>${esc(t.from)}<input type="date" name="from" value="${esc(f.from ?? '')}"></label><label>${esc(t.to)}<input type="date" name="to" value="${esc(f.to ?? '')}"></label>
<label>${esc(t.search)}<input name="q" value="${esc(f.q ?? '')}"></label><button>${esc(t.filter)}</button></form>`;
      const base = { country: f.country, type: f.type, severity: f.severity, from: f.from, to: f.to, q: f.q };
      const pages = Math.max(1, Math.ceil(total / f.pageSize));
      const nav = `<p>${esc(t.page)} ${f.page} / ${pages} · ${total} ${esc(t.results)} ${f.page > 1 ? `<a rel="prev" href="/public/${lang}/incidents${qs({ ...base, page: f.page - 1 })}">${esc(t.prev)}</a>` : ''} ${f.page < pages ? `<a rel="next" href="/public/${lang}/incidents${qs({ ...base, page: f.page + 1 })}">${esc(t.next)}</a>` : ''}
 · <a href="/api/public/incidents${qs(base)}">JSON</a> · <a href="/public/feeds/incidents.atom${qs({ country: f.country, type: f.type, severity: f.severity })}">${esc(t.feed)}</a></p>`;
      const path = `/incidents${qs({ ...base, page: f.page > 1 ? f.page : undefined })}`;
      return page({ lang, title: t.incidents, path, body: form + nav + (incidentRows(items, lang) || `<p>${esc(t.none)}</p>`), publisher: site.publicName });
    });
  });

  r.get('/public/:lang/incidents/:id', (c) => {
    const lang = langOf(c);
    const id = c.req.param('id');
    return html(c, `incident:${lang}:${id}`, async () => {
      const db = c.get('db');
      const t = DICTS[lang];
      const i = await getPublicIncident(db, id);
      if (!i) return null;
      const dl = (k: string, v: string) => (v ? `<dt>${esc(k)}</dt><dd>${v}</dd>` : '');
      const ordered = i.actors.filter((a) => a.role === 'ordered_by').map((a) => esc(a.name)).join(', ');
      const events = [
        i.startAt ? { at: i.startAt, what: t.start } : null,
        ...i.sources.filter((s) => s.retrievedAt).map((s) => ({ at: s.retrievedAt!, what: `${t.source}: ${s.publisher || s.title}` })),
        ...i.evidence.map((e) => ({ at: e.addedAt, what: `${t.evidence}: ${e.kind}` })),
        i.endAt ? { at: i.endAt, what: t.end } : null,
      ].filter((x): x is { at: string; what: string } => !!x).sort((a, b) => a.at.localeCompare(b.at));
      const body = `<p class="muted">${esc(typeName(i.type, lang))} · <a href="/public/${lang}/countries/${i.country}">${esc(countryName(i.country, lang))}</a> · ${esc(i.status)} · ${esc(i.severity)} · ${esc(t.publishedBy)} ${esc(i.publisher)}</p>
<dl>${dl(t.start, esc(day(i.startAt)))}${dl(t.end, esc(day(i.endAt) || t.ongoingEnd))}${dl(t.area, esc(i.area ?? ''))}${dl(t.networks, esc(i.networks.map((n) => n.name ?? (n.asn ? `AS${n.asn}` : '')).join(', ')))}${dl(t.services, esc(i.services.join(', ')))}${dl(t.orderedBy, ordered)}</dl>
<h2>${esc(t.summary)}</h2><p>${esc(i.summary)}</p>${i.description ? `<h2>${esc(t.details)}</h2><p>${esc(i.description).replace(/\n\n/g, '</p><p>')}</p>` : ''}
<h2>${esc(t.timeline)}</h2><ol>${events.map((e) => `<li><time datetime="${esc(e.at)}">${esc(day(e.at))}</time> ${esc(e.what)}</li>`).join('')}</ol>
<h2>${esc(t.sources)}</h2>${i.sources.length ? `<ul>${i.sources.map((s) => `<li>${s.url ? `<a href="${esc(s.url)}" rel="noopener noreferrer nofollow">${esc(s.title || s.url)}</a>` : esc(s.title)} ${s.publisher ? `<span class="muted">${esc(s.publisher)}</span>` : ''} ${s.sha256 ? `<code>sha256:${esc(s.sha256)}</code>` : ''}</li>`).join('')}</ul>` : `<p>${esc(t.none)}</p>`}
<h2>${esc(t.evidence)}</h2>${i.evidence.length ? `<ul>${i.evidence.map((e) => `<li>${esc(e.kind)} <code>${esc(e.ref)}</code> ${esc(e.summary)}</li>`).join('')}</ul>` : `<p>${esc(t.none)}</p>`}
${i.laws.length ? `<h2>${esc(t.laws)}</h2><ul>${i.laws.map((l) => `<li><a href="/public/${lang}/laws/${l.id}">${esc(l.title)}</a> (${esc(l.status)})</li>`).join('')}</ul>` : ''}
<p>${i.tags.map((x) => `<span class="tag">${esc(x)}</span>`).join('')}</p><p class="muted">${esc(t.share)}: <code>/public/${lang}/incidents/${i.id}</code> · <a href="/api/public/incidents/${i.id}">JSON</a></p>`;
      return page({ lang, title: i.title, path: `/incidents/${i.id}`, body, publisher: i.publisher, description: i.summary.slice(0, 200) });
    });
  });

  // The world map of the home and countries pages, as its own SVG document in an <iframe>: cached like a page (by the
  // browser too, with its ETag), so the pages carry a few KiB of HTML instead of 10 KiB of outlines each. Its links
  // open in the page (target _top); framed by this site's own pages only.
  r.get('/public/:lang/map.svg', async (c) => {
    const lang = langOf(c);
    const db = c.get('db');
    const generation = db.registryGeneration;
    const body = await cachedPublic(db, `map:${lang}`, async () => {
      const stats = await publicCountryStats(db, {});
      const svg = worldMap(new Map(stats.map((s) => [s.country, s.count])), { lang, label: DICTS[lang].map, href: (cc) => `/public/${lang}/countries/${cc}`, target: '_top' });
      return prepare(`<?xml version="1.0" encoding="UTF-8"?>\n${svg.replace('<svg class="map"', '<svg class="map" width="100%" height="100%"')}`, 'image/svg+xml; charset=utf-8');
    });
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'");
    c.header('X-Frame-Options', 'SAMEORIGIN');
    markFast(c, body, generation);
    return sendPrepared(c, body);
  });

  r.get('/public/:lang/countries', (c) => {
    const lang = langOf(c);
    return html(c, `countries:${lang}`, async () => {
      const db = c.get('db');
      const t = DICTS[lang];
      const stats = await publicCountryStats(db, {});
      const body = `${mapObject(lang)}
${table([t.country, t.incidents, t.shutdownDays], stats.map((s) => [`<a href="/public/${lang}/countries/${s.country}">${esc(countryName(s.country, lang))}</a>`, String(s.count), String(s.shutdownDays)]))}`;
      return page({ lang, title: t.countries, path: '/countries', body, publisher: (await siteSettings(db)).publicName });
    });
  });

  r.get('/public/:lang/countries/:cc', (c) => {
    const lang = langOf(c);
    const cc = c.req.param('cc').toUpperCase();
    if (!isCountryCode(cc)) return errorPage(c, lang, 404, `country: "${c.req.param('cc')}" is not an ISO 3166-1 alpha-2 country code.`);
    return htmlFresh(c, `country:${lang}:${cc}`, 30_000, () => countryPage(c.get('db'), lang, cc));
  });

  r.get('/public/:lang/laws', (c) => {
    const lang = langOf(c);
    const cc = (c.req.query('country') ?? '').toUpperCase();
    if (cc && !isCountryCode(cc)) return errorPage(c, lang, 400, 'country: must be an ISO 3166-1 alpha-2 country code such as IR or CM');
    return html(c, `laws:${lang}:${cc}`, async () => {
      const db = c.get('db');
      const t = DICTS[lang];
      const laws = await listPublicLaws(db, { country: cc || undefined });
      const body = table([t.country, t.laws, t.lawStatus], laws.map((l) => [esc(countryName(l.country, lang)), `<a href="/public/${lang}/laws/${l.id}">${esc(l.title)}</a>`, esc(l.status)])) || `<p>${esc(t.none)}</p>`;
      return page({ lang, title: t.laws, path: `/laws${qs({ country: cc })}`, body, publisher: (await siteSettings(db)).publicName });
    });
  });

  r.get('/public/:lang/laws/:id', (c) => {
    const lang = langOf(c);
    const id = c.req.param('id');
    return html(c, `law:${lang}:${id}`, async () => {
      const db = c.get('db');
      const t = DICTS[lang];
      const l = await getPublicLaw(db, id);
      if (!l) return null;
      const body = `<p class="muted"><a href="/public/${lang}/countries/${l.country}">${esc(countryName(l.country, lang))}</a> · ${esc(l.status)}${l.url ? ` · <a href="${esc(l.url)}" rel="noopener noreferrer nofollow">${esc(t.source)}</a>` : ''}</p><p>${esc(l.summary)}</p>
<h2>${esc(t.timeline)}</h2><ol>${l.timeline.map((e) => `<li>${esc(day(e.date))} ${esc(e.status)} ${esc(e.note ?? '')}</li>`).join('')}</ol>
${l.articles.length ? `<h2>${esc(t.articles)}</h2><ul>${l.articles.map((a) => `<li><strong>${esc(a.ref)}</strong> ${esc(a.text)} <em>${esc(a.concern)}</em></li>`).join('')}</ul>` : ''}
${l.rights.length ? `<h2>${esc(t.rights)}</h2><p>${l.rights.map((x) => `<span class="tag">${esc(x)}</span>`).join('')}</p>` : ''}
${l.incidentIds.length ? `<h2>${esc(t.linked)}</h2><ul>${l.incidentIds.map((x) => `<li><a href="/public/${lang}/incidents/${x}">${x}</a></li>`).join('')}</ul>` : ''}`;
      return page({ lang, title: l.title, path: `/laws/${l.id}`, body });
    });
  });

  r.get('/public/:lang/methodology', (c) => {
    const lang = langOf(c);
    const t = DICTS[lang];
    const body = `<ul>${DATASETS.map((d) => `<li><a href="/public/${lang}/methodology/${d.id}">${esc(d.name)}</a> — ${esc(d.licence)}</li>`).join('')}</ul>`;
    return withEtag(c, page({ lang, title: t.methodology, path: '/methodology', body }), 'text/html; charset=utf-8');
  });
  r.get('/public/:lang/methodology/:id', (c) => {
    const lang = langOf(c);
    const t = DICTS[lang];
    const d = DATASETS.find((x) => x.id === c.req.param('id'));
    if (!d) return errorPage(c, lang, 404, `No data set "${c.req.param('id')}": ${DATASETS.map((x) => x.id).join(', ')}.`);
    const body = `<p>${esc(d.what)}</p><h2>${esc(t.methodology)}</h2>${d.method.map((p) => `<p>${esc(p)}</p>`).join('')}
<h2>${esc(t.licence)}</h2><p>${esc(d.licence)}</p><h2>${esc(t.attribution)}</h2><p>${esc(d.attribution)}</p><p><a href="${esc(d.url)}" rel="noopener noreferrer">${esc(d.url)}</a></p>`;
    return withEtag(c, page({ lang, title: d.name, path: `/methodology/${d.id}`, body }), 'text/html; charset=utf-8');
  });

  r.get('/public/:lang/reports', (c) => {
    const lang = langOf(c);
    const t = DICTS[lang];
    const body = `<h2>${esc(t.annual)}</h2><ul>${REPORT_YEARS.map((y) => `<li>${y}: <a href="/public/${lang}/reports/annual/${y}">HTML</a> · <a href="/public/${lang}/reports/annual/${y}.pdf">PDF</a></li>`).join('')}</ul>
<h2>${esc(t.report)}</h2><form class="filters" method="get" action="/public/${lang}/reports/country"><label>${esc(t.country)}<input name="country" size="4" maxlength="2" required placeholder="IR"></label>
<label>${esc(t.from)}<input type="date" name="from" required></label><label>${esc(t.to)}<input type="date" name="to" required></label><button>HTML</button></form>`;
    return withEtag(c, page({ lang, title: t.reports, path: '/reports', body }), 'text/html; charset=utf-8');
  });

  const yearOf = (c: C): number | null => {
    const y = Number(/^(\d{4})(\.pdf)?$/.exec(c.req.param('year') ?? '')?.[1]);
    return y >= 2016 && y <= 2100 ? y : null;
  };
  r.get('/public/:lang/reports/annual/:year', async (c) => {
    const lang = langOf(c);
    const year = yearOf(c);
    if (!year) return errorPage(c, lang, 404, 'year: must be a year of the data (2016 or later), e.g. /reports/annual/2022');
    const db = c.get('db');
    const origin = new URL(c.req.url).origin;
    const render = async () => annualHtml(await annualFigures(db, year, lang), lang, { publisher: (await siteSettings(db)).publicName, baseUrl: `${origin}/` });
    if (c.req.param('year')!.endsWith('.pdf')) {
      const pdf = await cachedPublic(db, `annual-pdf:${lang}:${year}:${origin}`, async () => htmlToPdf(await render()));
      c.header('Content-Disposition', `inline; filename="stackwatch-annual-${year}-${lang}.pdf"`);
      return withEtag(c, pdf, 'application/pdf');
    }
    return html(c, `annual:${lang}:${year}:${origin}`, render);
  });

  r.get('/public/:lang/reports/country', async (c) => {
    const lang = langOf(c);
    const cc = (c.req.query('country') ?? '').toUpperCase();
    const from = c.req.query('from') ?? '';
    const to = c.req.query('to') ?? '';
    const pdf = c.req.query('format') === 'pdf';
    if (!isCountryCode(cc)) return errorPage(c, lang, 400, 'country: must be an ISO 3166-1 alpha-2 country code such as IR or CM');
    for (const [k, v] of [['from', from], ['to', to]] as const) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) return errorPage(c, lang, 400, `${k}: must be a date (YYYY-MM-DD)`);
    }
    if (to < from) return errorPage(c, lang, 400, 'to: must not be before from');
    const db = c.get('db');
    const origin = new URL(c.req.url).origin;
    const render = async () => countryReportHtml(db, cc, `${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`, lang, { publisher: (await siteSettings(db)).publicName, baseUrl: `${origin}/` });
    if (pdf) {
      const bytes = await cachedPublic(db, `country-pdf:${lang}:${cc}:${from}:${to}:${origin}:${bucket()}`, async () => htmlToPdf(await render()));
      return withEtag(c, bytes, 'application/pdf');
    }
    return htmlFresh(c, `country-report:${lang}:${cc}:${from}:${to}:${origin}`, 30_000, render);
  });

  r.get('/public/feeds/incidents.atom', async (c) => {
    const parsed = PublicFilterSchema.pick({ country: true, type: true, severity: true }).strict().safeParse(c.req.query());
    if (!parsed.success) return c.text(describeZod(parsed.error).message, 400);
    const f = parsed.data;
    const origin = new URL(c.req.url).origin;
    const body = await cachedPublic(c.get('db'), `atom:${JSON.stringify(f)}:${origin}:${feedVersion(c.get('db'))}`, () => atomFeed(c.get('db'), { country: f.country || undefined, type: f.type || undefined, severity: f.severity || undefined }, origin));
    return withEtag(c, body, 'application/atom+xml; charset=utf-8');
  });

  r.get('/public/sitemap.xml', async (c) => {
    const origin = new URL(c.req.url).origin;
    const body = await cachedPublic(c.get('db'), `sitemap:${origin}`, async () => {
      const db = c.get('db');
      const urls: string[] = [];
      for (const l of LANGS) urls.push(`/public/${l}/`, `/public/${l}/incidents`, `/public/${l}/countries`, `/public/${l}/laws`, `/public/${l}/methodology`, `/public/${l}/reports`);
      for (const s of await publicCountryStats(db, {})) urls.push(`/public/en/countries/${s.country}`);
      const recent = await listPublicIncidents(db, { page: 1, pageSize: 200 });
      for (const i of recent.items) urls.push(`/public/en/incidents/${i.id}`);
      for (const l of await listPublicLaws(db)) urls.push(`/public/en/laws/${l.id}`);
      for (const y of REPORT_YEARS) urls.push(`/public/en/reports/annual/${y}`);
      return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.map((u) => `<url><loc>${esc(origin + u)}</loc></url>`).join('')}</urlset>`;
    });
    return withEtag(c, body, 'application/xml; charset=utf-8');
  });

  r.route('/', alertRoutes());
  r.route('/', snapshotRoutes());
  r.route('/', embedRoutes());

  r.all('/public/*', (c) => errorPage(c, langOf(c), 404, DICTS[langOf(c)].notFoundText));
  return r;
}

async function countryPage(db: Db, lang: Lang, cc: string): Promise<string> {
  const t = DICTS[lang];
  const site = await siteSettings(db);
  const [stats, years, recent, laws, sites, outages, ledger] = await Promise.all([
    publicCountryStats(db, {}),
    publicCountryYears(db, cc),
    listPublicIncidents(db, { country: cc, page: 1, pageSize: 30 }),
    site.publishLaws ? listPublicLaws(db, { country: cc }) : Promise.resolve([]),
    site.publishMeasurements ? blockedSites(db, cc, 50) : Promise.resolve([]),
    site.publishOutages ? publicOutageEvents(db, { country: cc, limit: 100 }) : Promise.resolve([]),
    publicCountryLedger(db, cc),
  ]);
  const pct = (x: number | null) => (x == null ? '—' : `${(x * 100).toFixed(1)} %`);
  const range = (lo: number | null, hi: number | null) => (lo == null ? '—' : hi != null && hi !== lo ? `${lo}–${hi}` : String(lo));
  const ledgerHtml = ledger.google.length || ledger.interventions.length
    ? `<section><h2>${esc(t.demands)}</h2>${table([t.yearCol, t.requests, t.items, t.shareRemoved], ledger.google.map((y) => [String(y.year), range(y.requestsLow, y.requestsHigh), range(y.itemsLow, y.itemsHigh), pct(y.shareRemoved)])) || `<p>${esc(t.none)}</p>`}
<p class="muted">${esc(ledger.caveats.google)} <a href="/public/${lang}/methodology/ledger">${esc(t.methodology)}</a></p>
${ledger.interventions.length ? `<h3>${esc(t.interventions)}</h3>${table([t.type, '', t.countCol, t.providers], ledger.interventions.map((x) => [esc(x.layer), esc(x.action), String(x.count), String(x.providers)]))}` : ''}</section>`
    : '';
  const mine = stats.find((s) => s.country === cc);
  const name = countryName(cc, lang);
  const perYear = new Map<number, number>();
  for (const y of years) perYear.set(y.year, (perYear.get(y.year) ?? 0) + y.count);
  const ys = [...perYear.keys()].sort();
  const cols = ys.length ? Array.from({ length: ys[ys.length - 1]! - ys[0]! + 1 }, (_, k) => ({ label: String(ys[0]! + k), value: perYear.get(ys[0]! + k) ?? 0 })) : [];
  const body = `<p><span class="big">${mine?.count ?? 0}</span> ${esc(t.incidents)} · <span class="big">${mine?.shutdownDays ?? 0}</span> ${esc(t.shutdownDays)}</p>
<p><a href="/public/${lang}/incidents?country=${cc}">${esc(t.incidents)} →</a> · <a href="/public/feeds/incidents.atom?country=${cc}">${esc(t.feed)}</a> · <a href="/api/public/countries/${cc}">JSON</a></p>
<section><h2>${esc(t.overTime)}</h2>${cols.length ? columnChart(cols, { label: `${t.overTime}: ${name}`, rtl: lang === 'ar' }) : `<p>${esc(t.none)}</p>`}</section>
<section><h2>${esc(t.latest)}</h2>${incidentRows(recent.items, lang) || `<p>${esc(t.none)}</p>`}</section>
<section><h2>${esc(t.laws)}</h2>${table([t.laws, t.lawStatus], laws.map((l) => [`<a href="/public/${lang}/laws/${l.id}">${esc(l.title)}</a>`, esc(l.status)])) || `<p>${esc(t.none)}</p>`}</section>
<section><h2>${esc(t.blockedSites)}</h2>${table(['domain', t.type, t.measurements, t.networksN, t.from, t.to], sites.map((s) => [esc(s.domain), esc(s.blocking), String(s.measurements), String(s.networks), esc(s.firstDay), esc(s.lastDay)])) || `<p>${esc(t.none)}</p>`}</section>
<section><h2>${esc(t.outageEvents)}</h2>${outages.length ? timeline(outages.map((e) => ({ label: `${e.kind} ${e.name ?? e.entity} ${e.startAt}`, start: e.startAt, end: e.endAt, colour: '#1a56db' })), { label: t.outageEvents, from: outages[outages.length - 1]!.startAt, to: outages[0]!.endAt ?? outages[0]!.startAt }) : ''}
${table([t.start, t.end, t.type, t.area], outages.map((e) => [esc(e.startAt.slice(0, 16)), esc(e.endAt?.slice(0, 16) ?? t.ongoingEnd), esc(e.kind), esc(e.name ?? e.entity)])) || `<p>${esc(t.none)}</p>`}</section>
${ledgerHtml}
<section><h2>${esc(t.embed)}</h2><pre>${esc(`<iframe src="/public/embed/${cc}/map?lang=${lang}" width="640" height="340" loading="lazy" title="${name}"></iframe>`)}</pre>
<p><a href="/public/embed/${cc}/map?lang=${lang}">map</a> · <a href="/public/embed/${cc}/timeline?lang=${lang}">timeline</a> · <a href="/public/embed/${cc}/chart?lang=${lang}">chart</a> · <a href="/public/${lang}/reports/country?country=${cc}&amp;from=2016-01-01&amp;to=${new Date().toISOString().slice(0, 10)}">${esc(t.report)}</a></p></section>`;
  return page({ lang, title: name, path: `/countries/${cc}`, body, publisher: site.publicName });
}

export { PUBLISHED_AT_THE_TIME };
