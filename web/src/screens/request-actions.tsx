import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { ErrorBox, Field } from '../components/ui';
import { useI18n } from '../i18n/i18n';

/**
 * One action on a request: a button that opens a small form (a comment or a
 * reason when the API takes one), then calls the API. A refusal is shown
 * beside the field and changes nothing.
 */
export function ActionButton({
  label,
  text,
  onRun,
  onDone,
  danger,
  extra,
}: {
  label: string;
  /** The text field the action takes: its body member, its label, and whether it is required. */
  text?: { name: string; label: string; required: boolean };
  onRun: (text: string | undefined) => Promise<unknown>;
  onDone: (label: string) => void;
  danger?: boolean;
  /** More fields of the action's form, kept by the caller. */
  extra?: ReactNode;
}) {
  const { t, detail } = useI18n();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onRun(text ? value.trim() || undefined : undefined);
      setOpen(false);
      setValue('');
      onDone(label);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!open)
    return (
      <button type="button" className={danger ? 'danger' : undefined} onClick={() => setOpen(true)} aria-expanded={false} aria-controls={id}>
        {label}
      </button>
    );
  const fieldErrors = error instanceof ApiError && text ? error.fieldErrors(detail)[text.name] : undefined;
  return (
    <form id={id} className="action-form" onSubmit={(e) => void run(e)} aria-label={label} noValidate>
      {text && (
        <Field label={text.label} required={text.required} errors={fieldErrors}>
          {(p) => <textarea {...p} rows={2} value={value} onChange={(e) => setValue(e.target.value)} autoFocus />}
        </Field>
      )}
      {extra}
      <ErrorBox error={error} shownFields={text ? [text.name] : []} />
      <div className="actions">
        <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy || (!!text?.required && !value.trim())}>
          {t('detail.confirm', { action: label })}
        </button>
        <button type="button" onClick={() => (setOpen(false), setError(undefined))}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
