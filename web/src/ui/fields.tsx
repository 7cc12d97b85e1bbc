import { useMemo } from 'react';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { Field } from './components.js';

/** One option of a select: the value sent and the text shown. */
export interface Choice {
  value: string;
  label: string;
}

/** Options from plain values, each shown through `label`. */
export function choicesOf(values: readonly string[], label: (v: string) => string = (v) => v): Choice[] {
  return values.map((value) => ({ value, label: label(value) }));
}

/** The countries the server knows, named in the console's language and sorted by that name. */
export function useCountryChoices(): Choice[] {
  const { country } = useI18n();
  const { meta } = useSession();
  return useMemo(
    () => meta.countries.map((c) => ({ value: c.code, label: country(c.code) })).sort((a, b) => a.label.localeCompare(b.label)),
    [meta.countries, country],
  );
}

interface SelectFieldProps {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  choices: readonly Choice[];
  /** Text of a first option with the empty value ("All", "Choose a country"); none when left out. */
  empty?: string;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
  className?: string;
}

/** A labelled select (see {@link Field}) over `choices`, optionally led by an empty choice. */
export function SelectField({ label, name, value, onChange, choices, empty, error, hint, required, className }: SelectFieldProps) {
  return (
    <Field label={label} error={error} hint={hint} required={required} className={className}>
      {(p) => (
        <select {...p} name={name} value={value} onChange={(e) => onChange(e.target.value)}>
          {empty !== undefined && <option value="">{empty}</option>}
          {choices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** {@link SelectField} over the countries the server knows. */
export function CountryField(props: Omit<SelectFieldProps, 'choices'>) {
  return <SelectField {...props} choices={useCountryChoices()} />;
}
