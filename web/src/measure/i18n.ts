/**
 * The measurements pages' strings live in the console catalogues (web/src/i18n/*.ts) under "measure.*". `mt` and
 * `mtn` are the console's `t` and `tn` narrowed to those keys, and `verdictLabel` names a verdict kind.
 */
import { useMemo } from 'react';
import { useI18n, type MessageKey } from '../i18n/index.js';
import type { Verdict } from './types.js';

export type MeasureKey = Extract<MessageKey, `measure.${string}`>;

export interface MeasureI18n {
  mt: (key: MeasureKey, vars?: Record<string, string | number>) => string;
  mtn: (key: MeasureKey, n: number, vars?: Record<string, string | number>) => string;
  verdictLabel: (v: Verdict | string) => string;
}

export function useMeasureI18n(): MeasureI18n {
  const { t, tn, lang } = useI18n();
  return useMemo(
    () => ({
      mt: (key, vars) => t(key, vars),
      mtn: (key, n, vars) => tn(key, n, vars),
      verdictLabel: (v) => {
        const key = `measure.verdict.${v}` as MeasureKey;
        const text = t(key);
        return text === key ? v : text;
      },
    }),
    [t, tn, lang], // eslint-disable-line react-hooks/exhaustive-deps
  );
}
