import type { Queryable } from '../platform/db.js';
import { countryName } from '../core/countries.js';
import { allPublicIncidents, listPublicLaws, publicStopRows, stopImportSkips, type StopRow } from '../incidents/publishing.js';
import { blockedSites } from '../measure/publishing.js';
import { publicOutageEvents } from '../outages/publishing.js';
import { DICTS, dirOf, typeName, type Lang } from './i18n.js';
import { STYLE, day, esc, qs, table } from './html.js';
import { barChart, columnChart, timeline, worldMap } from './svg.js';

/**
 * Reports as HTML (print-ready) and PDF (Chromium's print-to-PDF). The annual shutdown report counts the Access Now
 * STOP data set the way Access Now counts it: one row of the year's sheet is one shutdown (see `annualFigures`).
 * Every figure links to the public API query listing the rows behind it.
 */

export const CAUSE_TAGS = ['protests', 'election', 'exams', 'communal-violence', 'political-instability', 'information-control', 'religious-holiday', 'official-visit', 'military-operation'];
const EVENT_TAGS = ['election', 'protests', 'exams', 'violence', 'hr-abuse'];
const DURATIONS = [
  { key: '1d', max: 1 }, { key: '2-7d', max: 7 }, { key: '8-30d', max: 30 }, { key: '31-365d', max: 365 }, { key: '>365d', max: Infinity },
] as const;

export interface Figure { key: string; label: string; value: number; query: string }
export interface AnnualFigures {
  year: number;
  /** Rows of the data set for the year (what Access Now counts). */
  shutdowns: number;
  /** The same, with exact duplicate rows of one sheet counted once. */
  distinct: number;
  countries: number;
  query: string;
  byCountry: Figure[];
  byType: Figure[];
  byScope: Figure[];
  byDuration: Figure[];
  causes: Figure[];
  justifications: Figure[];
  services: Figure[];
  events: Figure[];
  monthly: Figure[];
  carriedOver: number;
  note: string | null;
}

export const stopRowsQuery = (year: number, extra: Record<string, string | number | undefined> = {}) => `/api/public/stop-rows${qs({ year, ...extra })}`;

function durationDays(r: StopRow): number | null {
  if (!r.startAt || !r.endAt) return null;
  return Math.round((Date.parse(r.endAt) - Date.parse(r.startAt)) / 86_400_000) + 1;
}
export function durationKey(r: StopRow): string {
  const d = durationDays(r);
  if (d == null) return 'unknown';
  return DURATIONS.find((x) => d <= x.max)!.key;
}
export const scopeOf = (r: StopRow) => (r.area == null || r.tags.includes('nationwide') ? 'national' : 'subnational');
export function justificationOf(r: StopRow): string {
  return /Official justification: (.+?)\.(?: |$)/.exec(r.summary)?.[1]?.trim() || 'none stated';
}

/** Filters the public API's STOP rows endpoint accepts, applied the same way the figures are counted. */
export interface StopRowFilter { year: number; country?: string; type?: string; scope?: string; duration?: string; tag?: string; service?: string; justification?: string; month?: string }
export function filterStopRows(rows: StopRow[], f: StopRowFilter): StopRow[] {
  return rows.filter((r) =>
    r.year === f.year &&
    (!f.country || r.country === f.country) &&
    (!f.type || r.type === f.type) &&
    (!f.scope || scopeOf(r) === f.scope) &&
    (!f.duration || durationKey(r) === f.duration) &&
    (!f.tag || r.tags.includes(f.tag)) &&
    (!f.service || r.services.includes(f.service)) &&
    (!f.justification || justificationOf(r) === f.justification) &&
    (!f.month || (f.month === 'earlier' ? !r.startAt || Number(r.startAt.slice(0, 4)) < f.year : r.startAt?.slice(0, 7) === f.month)),
  );
}

function tally(rows: StopRow[], keyOf: (r: StopRow) => string[], year: number, param: keyof StopRowFilter, label: (k: string) => string = (k) => k): Figure[] {
  const m = new Map<string, number>();
  for (const r of rows) for (const k of new Set(keyOf(r))) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => ({ key: k, label: label(k), value: v, query: stopRowsQuery(year, { [param]: k }) }));
}

export async function annualFigures(db: Queryable & { registryGeneration?: number | null }, year: number, lang: Lang = 'en'): Promise<AnnualFigures> {
  const rows = (await publicStopRows(db)).filter((r) => r.year === year);
  const skips = (await stopImportSkips(db)).filter((s) => sheetMatchesYear(s.sheet, year));
  const months: Figure[] = [];
  for (let m = 1; m <= 12; m++) {
    const key = `${year}-${String(m).padStart(2, '0')}`;
    months.push({ key, label: key, value: rows.filter((r) => r.startAt?.slice(0, 7) === key).length, query: stopRowsQuery(year, { month: key }) });
  }
  const carriedOver = rows.filter((r) => !r.startAt || Number(r.startAt.slice(0, 4)) < year).length;
  let note: string | null = null;
  if (skips.length) {
    note = `The data set's sheet for ${year} has ${rows.length + skips.length} rows; ${skips.length} of them ${skips.length === 1 ? 'is an exact copy' : 'are exact copies'} of another row of the same sheet (${skips.map((s) => `row ${s.row}`).join(', ')}), stored once in the registry. The breakdowns below count the ${rows.length} distinct rows.`;
  }
  return {
    year,
    shutdowns: rows.length + skips.length,
    distinct: rows.length,
    countries: new Set(rows.map((r) => r.country)).size,
    query: stopRowsQuery(year),
    byCountry: tally(rows, (r) => [r.country], year, 'country', (k) => countryName(k, lang)),
    byType: tally(rows, (r) => [r.type], year, 'type', (k) => typeName(k, lang)),
    byScope: tally(rows, (r) => [scopeOf(r)], year, 'scope', (k) => (k === 'national' ? DICTS[lang].national : DICTS[lang].subnational)),
    byDuration: tally(rows, (r) => [durationKey(r)], year, 'duration', (k) => (k === 'unknown' ? DICTS[lang].ongoingEnd : k)),
    causes: tally(rows, (r) => r.tags.filter((t) => CAUSE_TAGS.includes(t)), year, 'tag'),
    justifications: tally(rows, (r) => [justificationOf(r)], year, 'justification').slice(0, 12),
    services: tally(rows, (r) => r.services, year, 'service').slice(0, 15),
    events: tally(rows, (r) => r.tags.filter((t) => EVENT_TAGS.includes(t)), year, 'tag'),
    monthly: months,
    carriedOver,
    note,
  };
}

function sheetMatchesYear(sheet: string, year: number): boolean {
  return new RegExp(`^${year}(\\s+data)?$`, 'i').test(sheet.trim());
}

/** What the 2020 sheet holds beside the figure Access Now published at the time. */
export const PUBLISHED_AT_THE_TIME: Record<number, { shutdowns: number; countries: number; where: string }> = {
  2022: { shutdowns: 187, countries: 35, where: 'Weapons of control, shields of impunity (#KeepItOn report 2022, published 2023)' },
  2021: { shutdowns: 182, countries: 34, where: 'The return of digital authoritarianism (#KeepItOn report 2021, published 2022)' },
  2020: { shutdowns: 155, countries: 29, where: 'Shattered dreams and lost opportunities (#KeepItOn report 2020, published March 2021)' },
  2019: { shutdowns: 213, countries: 33, where: 'Targeted, cut off, and left in the dark (#KeepItOn report 2019, published 2020)' },
  2018: { shutdowns: 196, countries: 25, where: 'The State of Internet Shutdowns around the world (#KeepItOn report 2018, published 2019)' },
};

function figureList(title: string, figs: Figure[], rtl: boolean, t: (typeof DICTS)['en']): string {
  if (!figs.length) return `<h2>${esc(title)}</h2><p>${esc(t.none)}</p>`;
  return `<section><h2>${esc(title)}</h2>${barChart(figs.slice(0, 20).map((f) => ({ label: f.label, value: f.value, href: f.query })), { label: title, rtl })}
${table([title, t.total, t.query], figs.map((f) => [esc(f.label), `<a href="${esc(f.query)}">${f.value}</a>`, `<a href="${esc(f.query)}">${esc(t.query)}</a>`]))}</section>`;
}

export function annualHtml(f: AnnualFigures, lang: Lang, opts: { publisher?: string; baseUrl?: string } = {}): string {
  const t = DICTS[lang];
  const rtl = lang === 'ar';
  const pub = PUBLISHED_AT_THE_TIME[f.year];
  const headline = `<p class="big" id="headline"><a href="${esc(f.query)}"><span id="shutdowns">${f.shutdowns}</span> ${esc(t.shutdowns)}</a> ${esc(t.inCountries)} <a href="${esc(f.query)}"><span id="countries">${f.countries}</span> ${esc(t.countriesWord)}</a></p>`;
  const compare = pub
    ? `<p class="muted" id="published">Access Now, ${esc(pub.where)}: ${pub.shutdowns} shutdowns in ${pub.countries} countries.${pub.shutdowns !== f.shutdowns || pub.countries !== f.countries ? ` The data set as shipped is a later revision than that report: its sheet for ${f.year} holds ${f.shutdowns} rows (${f.distinct} distinct) in ${f.countries} countries, ${f.carriedOver} of them shutdowns that began before ${f.year} and were still in force. Access Now revised the sheet after publication; which rows were added cannot be told from the data, so this report counts the data set as it is and shows the published figure beside it.` : ' The data set reproduces this figure.'}</p>`
    : '';
  const counts = new Map(f.byCountry.map((c) => [c.key, c.value]));
  const body = `${headline}${compare}${f.note ? `<p class="muted" id="note">${esc(f.note)}</p>` : ''}
<p class="muted">${esc(t.reportQueries)} ${f.carriedOver ? `${f.carriedOver} rows started before ${f.year} and were still in force.` : ''}</p>
<section><h2>${esc(t.map)}</h2>${worldMap(counts, { lang, label: `${t.map} ${f.year}`, href: (cc) => stopRowsQuery(f.year, { country: cc }) })}</section>
${figureList(t.byCountry, f.byCountry, rtl, t)}
${figureList(t.byType, f.byType, rtl, t)}
${figureList(t.byScope, f.byScope, rtl, t)}
${figureList(t.byDuration, f.byDuration, rtl, t)}
<section><h2>${esc(t.monthly)}</h2>${columnChart(f.monthly.map((m) => ({ label: m.key.slice(5), value: m.value })), { label: t.monthly, rtl })}
${table([t.monthly, t.total], f.monthly.map((m) => [esc(m.label), `<a href="${esc(m.query)}">${m.value}</a>`]))}</section>
${figureList(t.causes, f.causes, rtl, t)}
${figureList(`${t.causes} (official)`, f.justifications, rtl, t)}
${figureList(t.servicesAffected, f.services, rtl, t)}
${figureList(t.events, f.events, rtl, t)}
<p class="muted">${esc(t.source)}: Access Now #KeepItOn STOP data (attribution required). ${opts.publisher ? `${esc(t.publishedBy)} ${esc(opts.publisher)}.` : ''}</p>`;
  return reportDocument(lang, `${t.annual} ${f.year}`, body, opts.baseUrl);
}

function reportDocument(lang: Lang, title: string, body: string, baseUrl?: string): string {
  return `<!doctype html><html lang="${lang}" dir="${dirOf(lang)}"><head><meta charset="utf-8">${baseUrl ? `<base href="${esc(baseUrl)}">` : ''}<title>${esc(title)}</title>
<style>${STYLE} @page{size:A4;margin:14mm} section{break-inside:avoid-page} h2{margin-top:18px}</style></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export interface CountryReportData { country: string; from: string; to: string }

export async function countryReportHtml(db: Queryable & { registryGeneration?: number | null }, cc: string, from: string, to: string, lang: Lang, opts: { publisher?: string; baseUrl?: string } = {}): Promise<string> {
  const t = DICTS[lang];
  const incidents = [];
  for await (const i of allPublicIncidents(db, { country: cc, from, to })) incidents.push(i);
  const laws = await listPublicLaws(db, { country: cc });
  const sites = await blockedSites(db, cc, 50);
  const outages = (await publicOutageEvents(db, { country: cc })).filter((e) => e.startAt <= to && (e.endAt ?? e.startAt) >= from);
  const q = `/api/public/incidents${qs({ country: cc, from: from.slice(0, 10), to: to.slice(0, 10) })}`;
  const byType = new Map<string, number>();
  for (const i of incidents) byType.set(i.type, (byType.get(i.type) ?? 0) + 1);
  const name = countryName(cc, lang);
  const body = `<p class="big"><a href="${esc(q)}"><span id="incident-count">${incidents.length}</span> ${esc(t.incidents)}</a></p>
<p class="muted">${esc(day(from))} – ${esc(day(to))}. ${esc(t.reportQueries)}</p>
<section><h2>${esc(t.map)}</h2>${worldMap(new Map([[cc, incidents.length]]), { lang, label: name, highlight: cc })}</section>
<section><h2>${esc(t.byType)}</h2>${barChart([...byType].map(([k, v]) => ({ label: typeName(k, lang), value: v, href: `/api/public/incidents${qs({ country: cc, type: k, from: from.slice(0, 10), to: to.slice(0, 10) })}` })), { label: t.byType, rtl: lang === 'ar' })}</section>
<section><h2>${esc(t.timeline)}</h2>${timeline(incidents.filter((i) => i.startAt).map((i) => ({ label: i.title, start: i.startAt!, end: i.endAt })), { label: t.timeline, from, to })}</section>
<section><h2>${esc(t.incidents)}</h2>${table([t.start, t.end, t.type, t.incidents], incidents.slice(0, 300).map((i) => [esc(day(i.startAt)), esc(day(i.endAt) || t.ongoingEnd), esc(typeName(i.type, lang)), `<a href="/public/${lang}/incidents/${i.id}">${esc(i.title)}</a>`])) || esc(t.none)}</section>
<section><h2>${esc(t.laws)}</h2>${table([t.laws, t.lawStatus], laws.map((l) => [`<a href="/public/${lang}/laws/${l.id}">${esc(l.title)}</a>`, esc(l.status)])) || esc(t.none)} <p class="muted"><a href="/api/public/laws?country=${cc}">${esc(t.query)}</a></p></section>
<section><h2>${esc(t.blockedSites)}</h2>${table(['domain', t.type, t.measurements, t.networksN, t.from, t.to], sites.map((s) => [esc(s.domain), esc(s.blocking), String(s.measurements), String(s.networks), esc(s.firstDay), esc(s.lastDay)])) || esc(t.none)} <p class="muted"><a href="/api/public/countries/${cc}">${esc(t.query)}</a></p></section>
<section><h2>${esc(t.outageEvents)}</h2>${table([t.start, t.end, t.type, t.area], outages.map((e) => [esc(e.startAt.slice(0, 16)), esc(e.endAt?.slice(0, 16) ?? t.ongoingEnd), esc(e.kind), esc(e.name ?? e.entity)])) || esc(t.none)}</section>
${opts.publisher ? `<p class="muted">${esc(t.publishedBy)} ${esc(opts.publisher)}.</p>` : ''}`;
  return reportDocument(lang, `${t.report}: ${name}`, body, opts.baseUrl);
}

/** Prints HTML to PDF with Debian's Chromium (no network: every asset of the report is inline). */
export async function htmlToPdf(html: string, executablePath = process.env.STACKWATCH_CHROMIUM ?? '/usr/bin/chromium'): Promise<Buffer> {
  const { chromium } = await import('playwright-core'); // loaded only when a PDF is printed: keeps every CLI start light
  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    await ctx.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    const page = await ctx.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '14mm', bottom: '14mm', left: '12mm', right: '12mm' } });
  } finally {
    await browser.close();
  }
}
