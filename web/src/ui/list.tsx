/** The machinery of the console's list pages: filters kept in the address bar, paging, per-page size, exports. */
import { useEffect, useState } from 'react';
import { withQuery } from '../api/client.js';
import { useQueryState } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { useDebounced } from './useApi.js';

/** The page sizes a list offers. */
export const PAGE_SIZES = [25, 50, 100];

/** A whole number ≥ 1 read from the address bar, capped at `max`; `fallback` when absent or malformed. */
export function positiveInt(v: string | null, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, max) : fallback;
}

/**
 * The query string as a list's state: a changed filter goes back to the first page, the first page has no `page`
 * parameter, and clearing removes the filters and the page.
 */
export function useListParams() {
  const [params, setParams] = useQueryState();
  const setFilter = (k: string, v: string | undefined) => setParams({ [k]: v || undefined, page: undefined });
  const setPage = (p: number) => setParams({ page: p > 1 ? String(p) : undefined });
  const clear = (keys: readonly string[]) => setParams(Object.fromEntries([...keys, 'page'].map((k) => [k, undefined])));
  return { params, setParams, setFilter, setPage, clear };
}

/**
 * A text filter that reaches the address bar only when typing pauses (so each keystroke is not a request). With
 * `parse`, only a valid value does: `parse` returns the normal form, or null when the text is invalid, which
 * `invalid` then says (the list keeps its filter). `value` is the filter in the address bar; `apply` sets it.
 */
export function useTextFilter(value: string, apply: (v: string | undefined) => void, opts: { ms?: number; parse?: (s: string) => string | null } = {}) {
  const { ms = 300, parse } = opts;
  const [text, setText] = useState(value);
  const settled = useDebounced(text, ms);
  useEffect(() => setText(value), [value]);
  const parsed = parse ? (settled.trim() ? parse(settled) : '') : settled.trim();
  useEffect(() => {
    if (parsed === null) return;
    // Without a parser any change of the settled text applies (trimmed); with one, a change of its normal form does.
    if ((parse ? parsed : settled) !== value) apply(parsed || undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settled]);
  return { text, setText, invalid: parsed === null && settled === text };
}

/** The per-page size of a list. */
export function PageSizeSelect({ value, onChange, sizes = PAGE_SIZES }: { value: number; onChange: (size: string) => void; sizes?: readonly number[] }) {
  const { t } = useI18n();
  return (
    <label className="inline-field">
      {t('common.perPage')}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {sizes.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Links to the export endpoint with exactly the filters on screen. */
export function ExportLinks({ path, filters }: { path: string; filters: Record<string, string> }) {
  const { t } = useI18n();
  return (
    <div className="export" role="group" aria-label={t('common.export')}>
      <a className="btn" href={withQuery(path, { format: 'csv', ...filters })} download>
        {t('common.exportCsv')}
      </a>
      <a className="btn" href={withQuery(path, { format: 'json', ...filters })} download>
        {t('common.exportJson')}
      </a>
    </div>
  );
}
