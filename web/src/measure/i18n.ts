/**
 * The measurements pages' strings: `mt` and `mtn` work like the console's `t` and `tn` (same placeholders, same
 * "one|other" plural forms), over the catalogue in strings.ts.
 */
import { useMemo } from 'react';
import { interpolate, pickForm, useI18n, type Lang } from '../i18n/index.js';
import { measureAr, measureEn, measureEs, measureFr, type MeasureKey } from './strings.js';
import type { Verdict } from './types.js';

const CATALOGUES: Record<Lang, Record<MeasureKey, string>> = { en: measureEn, fr: measureFr, es: measureEs, ar: measureAr };

export interface MeasureI18n {
  mt: (key: MeasureKey, vars?: Record<string, string | number>) => string;
  mtn: (key: MeasureKey, n: number, vars?: Record<string, string | number>) => string;
  verdictLabel: (v: Verdict | string) => string;
}

export function useMeasureI18n(): MeasureI18n {
  const { lang } = useI18n();
  return useMemo(() => {
    const cat = CATALOGUES[lang];
    const plural = new Intl.PluralRules(lang);
    const text = (key: MeasureKey) => cat[key] ?? measureEn[key] ?? key;
    const mt = (key: MeasureKey, vars?: Record<string, string | number>) => interpolate(pickForm(text(key), null), vars);
    return {
      mt,
      mtn: (key, n, vars) => interpolate(pickForm(text(key), plural.select(n)), vars),
      verdictLabel: (v) => {
        const key = `measure.verdict.${v}`;
        return key in cat ? mt(key as MeasureKey) : v;
      },
    };
  }, [lang]);
}
