/** TLP 2.0 (FIRST). Labels are upper case and never translated. */
export const TLP_LABELS = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'] as const;
export type TlpLabel = (typeof TLP_LABELS)[number];

export function isTlpLabel(v: string): v is TlpLabel {
  return (TLP_LABELS as readonly string[]).includes(v);
}

/** Labels that may leave the owning organisation to partner users of another organisation. */
export const TLP_SHAREABLE_OUTSIDE: readonly TlpLabel[] = ['TLP:CLEAR', 'TLP:GREEN'];
