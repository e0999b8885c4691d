import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { ErrorBox, Field } from './ui';

export interface FieldSpec {
  /** The API body member, so the API's field errors land beside this field. */
  name: string;
  label: string;
  type?: 'text' | 'email' | 'tel' | 'date' | 'datetime-local' | 'textarea';
  required?: boolean;
  hint?: string;
}

/**
 * A labelled form over a few text fields: the values go to `onSubmit`, which
 * calls the API; a refusal shows each field's message beside it and changes
 * nothing; success clears the form.
 */
export function SimpleForm({
  title,
  fields,
  submitLabel,
  onSubmit,
  onDone,
}: {
  title: string;
  fields: FieldSpec[];
  submitLabel: string;
  onSubmit: (values: Record<string, string>) => Promise<unknown>;
  onDone: (result: unknown, values: Record<string, string>) => void;
}) {
  const { detail } = useI18n();
  const empty = () => Object.fromEntries(fields.map((f) => [f.name, '']));
  const [values, setValues] = useState<Record<string, string>>(empty);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const missing = fields.some((f) => f.required && !values[f.name]?.trim());
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await onSubmit(values);
      onDone(result, values);
      setValues(empty());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const errors = error instanceof ApiError ? error.fieldErrors(detail) : {};
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-label={title} noValidate>
      <h2>{title}</h2>
      {fields.map((f) => (
        <Field key={f.name} label={f.label} hint={f.hint} required={f.required} errors={errors[f.name]}>
          {(p) =>
            f.type === 'textarea' ? (
              <textarea {...p} rows={2} value={values[f.name]} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
            ) : (
              <input {...p} type={f.type ?? 'text'} value={values[f.name]} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
            )
          }
        </Field>
      ))}
      <ErrorBox error={error} shownFields={fields.map((f) => f.name)} />
      <button type="submit" className="primary" disabled={busy || missing}>
        {submitLabel}
      </button>
    </form>
  );
}
