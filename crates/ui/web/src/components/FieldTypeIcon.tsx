import type { FieldType } from '../api';

const ICONS: Record<FieldType, string> = {
  string: 't',
  number: '#',
  date: '◷',
  boolean: 'tf',
  ip: 'ip',
  geo_point: '⌖',
  object: '{}',
  unknown: '?',
};

/** A field's type as a small badge; the type's name is the text assistive technology reads. */
export function FieldTypeIcon({ type }: { type: FieldType }) {
  return (
    <span class={`field-type field-type-${type}`} title={type}>
      <span aria-hidden="true">{ICONS[type]}</span>
      <span class="visually-hidden">{type}</span>
    </span>
  );
}
