/** The console's pure logic, without a browser: catalogues, form conversion, map classes, month ranges. */
import { describe, expect, it } from 'vitest';
import { CATALOGUES, LANGS, interpolate, pickForm } from '../../web/src/i18n/index.js';
import { en } from '../../web/src/i18n/en.js';
import { changedFields, draftFrom, fromInput, validateDraft, type IncidentDraft } from '../../web/src/incidents/IncidentForm.js';
import { classBreaks, classOf, countryShapes, MAP_COLOURS } from '../../web/src/map/geo.js';
import { monthRange } from '../../web/src/map/MonthlyChart.js';
import { ApiError, withQuery } from '../../web/src/api/client.js';
import { INCIDENT_TYPES, INCIDENT_STATUSES, ROLES, LAW_STATUSES, RIGHTS, TARGET_KINDS, EVIDENCE_KINDS } from '../../src/core/taxonomy.js';

const placeholders = (s: string) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
const t = (key: keyof typeof en, vars?: Record<string, string | number>) => interpolate(en[key], vars);

describe('catalogues', () => {
  it('every language has every key, with the same placeholders, and real translations', () => {
    const keys = Object.keys(en).sort();
    for (const lang of LANGS) {
      const cat = CATALOGUES[lang] as Record<string, string>;
      expect(Object.keys(cat).sort(), lang).toEqual(keys);
      for (const k of keys) {
        expect(cat[k]?.trim().length, `${lang} ${k} is empty`).toBeGreaterThan(0);
        expect(placeholders(cat[k] ?? ''), `${lang} ${k}`).toEqual(placeholders(en[k as keyof typeof en]));
      }
      if (lang !== 'en') {
        // Most strings must differ from English (names such as "Stackwatch" and "TLP" may not).
        const same = keys.filter((k) => cat[k] === (en as Record<string, string>)[k]);
        expect(same.length / keys.length, `${lang}: ${same.slice(0, 20).join(', ')}`).toBeLessThan(0.08);
      }
    }
    const arabicLetters = Object.values(CATALOGUES.ar).filter((s) => /[\u0600-\u06FF]/.test(s)).length;
    expect(arabicLetters / keys.length).toBeGreaterThan(0.95);
  });

  it('picks plural forms by the language\'s rules', () => {
    const fr = new Intl.PluralRules('fr');
    const en1 = new Intl.PluralRules('en');
    expect(interpolate(pickForm(CATALOGUES.fr['common.results'], fr.select(0)), { count: 0 })).toBe('0 résultat');
    expect(interpolate(pickForm(CATALOGUES.en['common.results'], en1.select(0)), { count: 0 })).toBe('0 results');
    expect(interpolate(pickForm(CATALOGUES.en['common.results'], en1.select(1)), { count: 1 })).toBe('1 result');
    expect(pickForm(CATALOGUES.ar['common.results'], 'one')).toBe(CATALOGUES.ar['common.results']);
  });

  it('labels every coded value of the shared vocabulary', () => {
    const need = [
      ...INCIDENT_TYPES.map((x) => `type.${x}`), ...INCIDENT_STATUSES.map((x) => `status.${x}`), ...ROLES.map((x) => `role.${x}`),
      ...LAW_STATUSES.map((x) => `lawStatus.${x}`), ...RIGHTS.map((x) => `right.${x}`), ...TARGET_KINDS.map((x) => `target.${x}`),
      ...EVIDENCE_KINDS.map((x) => `evidenceKind.${x}`),
    ];
    const missing = need.filter((k) => !(k in en));
    expect(missing).toEqual([]);
  });
});

describe('incident form', () => {
  const base: IncidentDraft = { ...draftFrom(undefined, { type: '', tlp: 'TLP:AMBER', status: 'draft' }), type: 'shutdown.full', title: 'Internet cut in Tigray', country: 'ET', startAt: '2020-11-04' };

  it('turns inputs into UTC instants and refuses impossible dates', () => {
    expect(fromInput('2019-11-16', 'day')).toBe('2019-11-16T00:00:00.000Z');
    expect(fromInput('2019-11-16T14:05', 'minute')).toBe('2019-11-16T14:05:00.000Z');
    expect(fromInput('', 'day')).toBeNull();
    expect(fromInput('2019-02-30', 'day')).toBeUndefined();
    expect(fromInput('16/11/2019', 'day')).toBeUndefined();
  });

  it('reports each bad field by its API name', () => {
    const { errors } = validateDraft({ ...base, title: 'ab', endAt: '2020-11-01', networks: 'AS12x Foo', actors: 'Ministry | decided_by' }, t);
    expect(Object.keys(errors).sort()).toEqual(['actors', 'endAt', 'networks', 'title']);
    expect(errors.endAt).toBe(en['form.err.endBeforeStart']);
    expect(errors.networks).toContain('Line 1');
  });

  it('builds the body the API takes, leaving out empty optional fields', () => {
    const { body, errors } = validateDraft({ ...base, networks: 'AS58224 TCI\nMobile operators', actors: 'Ministry of ICT | ordered_by', services: 'WhatsApp, Instagram ,', severity: '' }, t);
    expect(errors).toEqual({});
    expect(body.startAt).toBe('2020-11-04T00:00:00.000Z');
    expect(body.endAt).toBeNull();
    expect('endPrecision' in body).toBe(false);
    expect('severity' in body).toBe(false);
    expect(body.networks).toEqual([{ asn: 58224, name: 'TCI' }, { name: 'Mobile operators' }]);
    expect(body.actors).toEqual([{ name: 'Ministry of ICT', role: 'ordered_by' }]);
    expect(body.services).toEqual(['WhatsApp', 'Instagram']);
  });

  it('sends only what changed when editing', () => {
    const a = validateDraft(base, t).body;
    const b = validateDraft({ ...base, title: 'Internet cut across Tigray', tags: 'war' }, t).body;
    expect(changedFields(a, b)).toEqual({ title: 'Internet cut across Tigray', tags: ['war'] });
  });
});

describe('map and chart helpers', () => {
  it('has a shape with an ISO code for the countries of the field', () => {
    const codes = new Set(countryShapes().map((s) => s.cc));
    for (const cc of ['IR', 'IN', 'ET', 'MM', 'CM', 'TR', 'RU', 'VE', 'SD', 'XK', 'IS']) expect(codes.has(cc), cc).toBe(true);
    expect(countryShapes().every((s) => s.d.startsWith('M'))).toBe(true);
  });

  it('classes counts on a log scale, 0 being its own class', () => {
    const br = classBreaks(651);
    expect(br[0]).toBe(1);
    expect(br.length).toBe(5);
    expect(classOf(0, br)).toBe(0);
    expect(classOf(1, br)).toBe(1);
    expect(classOf(651, br)).toBe(MAP_COLOURS.length - 1);
    expect(classOf(3, br)).toBeLessThan(classOf(100, br));
    expect(classBreaks(3)).toEqual([1, 2, 3]);
  });

  it('spans every month between the first and last', () => {
    expect(monthRange('2019-11', '2020-02')).toEqual(['2019-11', '2019-12', '2020-01', '2020-02']);
    expect(monthRange('2020-02', '2019-11')).toEqual([]);
  });
});

describe('api client helpers', () => {
  it('drops empty filters from the query string', () => {
    expect(withQuery('/api/incidents/export', { format: 'csv', country: 'IR', q: '', tlp: undefined })).toBe('/api/incidents/export?format=csv&country=IR');
  });
  it('maps server issues to top-level form fields', () => {
    const e = new ApiError(400, 'validation_failed', 'tags.1: too long', 'tags.1', [
      { field: 'tags.1', message: 'too long' },
      { field: 'networks.0.asn', message: 'must be a number' },
    ]);
    expect(e.fieldErrors()).toEqual({ tags: 'too long', networks: 'must be a number' });
    expect(new ApiError(400, 'malformed_json', 'bad body', '(body)').fieldErrors()).toEqual({});
  });
});
