import { useCallback, useEffect, useId, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { RequestStatus } from '../api/views';
import { useI18n, type Translate } from '../i18n/i18n';

/** A readable sentence for any failure of an API call. */
export function describeError(e: unknown, t: Translate): string {
  if (e instanceof ApiError) {
    if (e.code === 'csrf') return t('error.csrf');
    if (e.status === 403) return `${t('error.forbidden')} ${e.message}`;
    if (e.status === 409) return t('error.conflict', { message: e.message });
    if (e.status === 503) return t('error.unavailable', { message: e.message });
    if (e.status === 400) return t('error.invalid');
    if (e.status === 422) return t('error.policy');
    return t('common.error', { message: e.message });
  }
  if (e instanceof TypeError) return t('error.network');
  return t('common.error', { message: e instanceof Error ? e.message : String(e) });
}

/** The failure of a whole action: the sentence, then each rule or field the API named that no field shows. */
export function ErrorBox({ error, shownFields = [] }: { error: unknown; shownFields?: string[] }) {
  const { t, detail } = useI18n();
  if (!error) return null;
  const rest =
    error instanceof ApiError
      ? error.details.filter((d) => !d.field || !shownFields.includes(d.field.replace(/^(body|query|params)\.?/, '').split('.')[0] ?? ''))
      : [];
  // A refusal whose every rule is already shown beside its field says so, instead of an empty list after a colon.
  const atFields = error instanceof ApiError && error.status === 422 && error.details.length > 0 && rest.length === 0;
  return (
    <div className="alert alert-error" role="alert">
      <p>{atFields ? t('error.policyAtFields') : describeError(error, t)}</p>
      {rest.length > 0 && (
        <ul>
          {rest.map((d, i) => (
            <li key={i}>
              {d.field && <code>{d.field.replace(/^(body|query|params)\./, '')}</code>} {detail(d)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * A labelled form field with its hint and its errors, tied together with
 * aria-describedby so a screen reader reads them with the field.
 */
export function Field({
  label,
  hint,
  errors,
  required,
  children,
}: {
  label: string;
  hint?: string;
  errors?: string[];
  required?: boolean;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean; required?: boolean }) => ReactNode;
}) {
  const { t } = useI18n();
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors?.length ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={errors?.length ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>
        {label}
        {required && <span className="field-required"> {t('common.required')}</span>}
      </label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': errors?.length ? true : undefined, required })}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {errors?.length ? (
        <p className="field-error" id={errorId}>
          {errors.join(' ')}
        </p>
      ) : null}
    </div>
  );
}

export function StatusBadge({ status }: { status: RequestStatus }) {
  const { t } = useI18n();
  return <span className={`badge badge-${status}`}>{t(`status.${status}`)}</span>;
}

/** Loads data for a screen; `reload` fetches again after an action. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** What a screen shows while its data loads or when it failed. */
export function Loading({ error, onRetry }: { error?: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  if (error)
    return (
      <div>
        <ErrorBox error={error} />
        {onRetry && (
          <button type="button" onClick={onRetry}>
            {t('common.retry')}
          </button>
        )}
      </div>
    );
  return (
    <p className="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

/** A button that copies text, saying so for a moment. */
export function CopyButton({ text, label }: { text: string; label?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(text);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" onClick={() => void copy()} aria-live="polite">
      {copied ? t('common.copied') : (label ?? t('common.copy'))}
    </button>
  );
}
