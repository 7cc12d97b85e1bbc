/**
 * The console's i18n layer: every visible string comes from a catalogue (en, fr, es, ar). English is the
 * reference; the other catalogues are typed against it so a missing key fails the type check.
 * TLP labels are never translated (FIRST TLP 2.0).
 */
import { createContext, Fragment, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import countries from 'i18n-iso-countries';
import enCountries from 'i18n-iso-countries/langs/en.json';
import frCountries from 'i18n-iso-countries/langs/fr.json';
import esCountries from 'i18n-iso-countries/langs/es.json';
import arCountries from 'i18n-iso-countries/langs/ar.json';
import { en, type MessageKey } from './en.js';
import { fr } from './fr.js';
import { es } from './es.js';
import { ar } from './ar.js';

for (const locale of [enCountries, frCountries, esCountries, arCountries]) countries.registerLocale(locale);

export const LANGS = ['en', 'fr', 'es', 'ar'] as const;
export type Lang = (typeof LANGS)[number];
export type { MessageKey };

export const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { en, fr, es, ar };

/** Each language's name written in that language (the switcher shows these). */
export const LANG_NAMES: Record<Lang, string> = { en: 'English', fr: 'Français', es: 'Español', ar: 'العربية' };

const RTL: ReadonlySet<Lang> = new Set<Lang>(['ar']);
const STORAGE_KEY = 'stackwatch.lang';

/** Kinds of coded values the server sends; their labels live under "<kind>.<code>" in the catalogues. */
export type LabelKind = 'type' | 'status' | 'severity' | 'role' | 'lawStatus' | 'right' | 'evidenceKind' | 'target' | 'actorRole' | 'precision' | 'scope' | 'action';

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

export function interpolate(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** Like interpolate, but placeholders become React nodes (wrapped by the caller in <bdi> for mixed directions). */
export function interpolateNodes(text: string, nodes: Record<string, ReactNode>): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(/\{(\w+)\}/g)) {
    const name = m[1] ?? '';
    out.push(text.slice(last, m.index));
    out.push(name in nodes ? <Fragment key={`${name}-${m.index}`}>{nodes[name]}</Fragment> : m[0]);
    last = (m.index ?? 0) + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

/**
 * "one|other" → the form for the plural category (no "|" means one form for all counts). A bar with spaces on both
 * sides ("name | role") is text, not a separator.
 */
export function pickForm(text: string, category: Intl.LDMLPluralRule | null): string {
  const bar = text.search(/(?<! )\|(?! )/);
  if (bar < 0) return text;
  return category === 'one' ? text.slice(0, bar) : text.slice(bar + 1);
}

export interface I18n {
  lang: Lang;
  dir: 'ltr' | 'rtl';
  setLang: (l: Lang) => void;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  /** Counted message: catalogues may give "one|other" forms, chosen by the language's plural rules. */
  tn: (key: MessageKey, n: number, vars?: Record<string, string | number>) => string;
  /** Label of a coded value (incident type, status, role…); falls back to the code itself. */
  label: (kind: LabelKind, code: string | null | undefined) => string;
  country: (code: string | null | undefined) => string;
  date: (iso: string | null | undefined, withTime?: boolean) => string;
  num: (n: number) => string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  if (isLang(fromUrl)) return fromUrl;
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    /* storage may be disabled */
  }
  const nav = (navigator.language || 'en').slice(0, 2);
  return isLang(nav) ? nav : 'en';
}

function intlLocale(lang: Lang): string {
  // Latin digits in Arabic keep dates and counts comparable with the ISO dates shown beside them.
  return lang === 'ar' ? 'ar-u-nu-latn' : lang;
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const dir = RTL.has(lang) ? 'rtl' : 'ltr';

  useEffect(() => {
    document.documentElement.lang = lang;
    document.documentElement.dir = dir;
  }, [lang, dir]);

  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      window.localStorage.setItem(STORAGE_KEY, l);
    } catch {
      /* ignore */
    }
  }, []);

  const value = useMemo<I18n>(() => {
    const cat = CATALOGUES[lang];
    const loose = cat as Record<string, string>;
    const dateFmt = new Intl.DateTimeFormat(intlLocale(lang), { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
    const timeFmt = new Intl.DateTimeFormat(intlLocale(lang), {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short',
    });
    const numFmt = new Intl.NumberFormat(intlLocale(lang));
    const plural = new Intl.PluralRules(lang);
    return {
      lang,
      dir,
      setLang,
      t: (key, vars) => interpolate(pickForm(cat[key] ?? en[key] ?? key, null), vars),
      tn: (key, n, vars) => interpolate(pickForm(cat[key] ?? en[key] ?? key, plural.select(n)), vars),
      label: (kind, code) => {
        if (code === null || code === undefined || code === '') return '—';
        return loose[`${kind}.${code}`] ?? (en as Record<string, string>)[`${kind}.${code}`] ?? code;
      },
      country: (code) => {
        if (!code) return '—';
        if (code === 'XK') return loose['country.XK'] ?? 'Kosovo';
        return countries.getName(code, lang, { select: 'alias' }) ?? countries.getName(code, 'en') ?? code;
      },
      date: (iso, withTime = false) => {
        if (!iso) return '—';
        const d = new Date(iso);
        if (Number.isNaN(d.getTime())) return iso;
        return (withTime ? timeFmt : dateFmt).format(d);
      },
      num: (n) => numFmt.format(n),
    };
  }, [lang, dir, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

/** Alpha-2 code of a world-atlas feature id (ISO 3166-1 numeric, zero-padded). */
export function alpha2FromNumeric(id: string | number | undefined): string | undefined {
  if (id === undefined) return undefined;
  return countries.numericToAlpha2(String(id).padStart(3, '0')) ?? undefined;
}
