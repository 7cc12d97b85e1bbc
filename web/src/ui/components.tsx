import { useId, type ReactNode } from 'react';
import type { ApiError } from '../api/client.js';
import { useI18n } from '../i18n/index.js';

/** TLP 2.0 label as FIRST draws it: coloured text on black. The label itself is never translated. */
export function TlpBadge({ tlp }: { tlp: string }) {
  const cls = tlp.replace('TLP:', '').replace('+', '-').toLowerCase();
  return (
    <span className={`tlp tlp-${cls}`} data-tlp={tlp}>
      {tlp}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const { label } = useI18n();
  return <span className={`status status-${status}`}>{label('status', status)}</span>;
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      {t('app.loading')}
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: ApiError | Error | string; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = typeof error === 'string' ? error : t('app.error', { message: error.message });
  return (
    <div className="notice notice-error" role="alert">
      <p>{text}</p>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          {t('app.retry')}
        </button>
      )}
    </div>
  );
}

/**
 * What a loading request shows: the error with a retry button, "Loading…", `empty` when `isEmpty` says there is
 * nothing to show, or else what `children` makes of the data.
 */
export function Loaded<T>({
  state,
  isEmpty,
  empty,
  children,
}: {
  state: { data: T | undefined; error: ApiError | undefined; reload: () => void };
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (state.error) return <ErrorBox error={state.error} onRetry={state.reload} />;
  if (!state.data) return <Loading />;
  if (isEmpty?.(state.data)) return <>{empty ?? <NoResults />}</>;
  return <>{children(state.data)}</>;
}

/** The notice of a list with nothing in it. */
export function NoResults({ text }: { text?: string }) {
  const { t } = useI18n();
  return <p className="notice">{text ?? t('common.noResults')}</p>;
}

interface FieldProps {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
  className?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby': string | undefined; required?: boolean }) => ReactNode;
}

/** Label, control, hint and the field's error message right under the control, wired for screen readers. */
export function Field({ label, error, hint, required, className, children }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-err` : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(' ') || undefined;
  const { t } = useI18n();
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span className="req" aria-hidden="true"> *</span> : null}
        {required ? <span className="visually-hidden"> ({t('common.required')})</span> : null}
      </label>
      {children({ id, 'aria-invalid': !!error, 'aria-describedby': describedBy, ...(required ? { required: true } : {}) })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function Pager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (p: number) => void }) {
  const { t, tn, num } = useI18n();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav className="pager" aria-label={t('common.pagination')}>
      <button type="button" className="btn" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {t('common.previous')}
      </button>
      <span aria-live="polite">
        {t('common.pageOf', { page: num(page), pages: num(pages) })} · {tn('common.results', total, { count: num(total) })}
      </span>
      <button type="button" className="btn" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {t('common.next')}
      </button>
    </nav>
  );
}

export function Section({ title, children, actions, id }: { title: string; children: ReactNode; actions?: ReactNode; id?: string }) {
  const hid = useId();
  return (
    <section className="card" aria-labelledby={hid} id={id}>
      <div className="card-head">
        <h2 id={hid}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
