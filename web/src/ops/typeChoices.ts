import type { Choice } from '../ui/fields.js';
import type { MessageKey } from '../i18n/index.js';

/** Families with more than one type ("shutdown" → shutdown.full, .regional, .mobile) come first: "All shutdowns". */
export function typeChoices(types: readonly string[], label: (ty: string) => string, t: (k: MessageKey) => string): Choice[] {
  const families = new Map<string, number>();
  for (const ty of types) {
    const fam = ty.split('.')[0]!;
    if (fam !== ty) families.set(fam, (families.get(fam) ?? 0) + 1);
  }
  const famChoices = [...families.entries()]
    .filter(([fam, n]) => n > 1 || types.includes(fam))
    .map(([fam]) => ({ value: fam, label: t(`ops.family.${fam}` as MessageKey) === `ops.family.${fam}` ? fam : t(`ops.family.${fam}` as MessageKey) }));
  return [...famChoices, ...types.map((ty) => ({ value: ty, label: label(ty) }))];
}
