import { describe, expect, it } from 'vitest';
import type { Field } from '../api';
import { groupFields } from './fields';

const f = (name: string, type: Field['type'], esTypes: string[] = []): Field => ({
  name, type, esTypes, searchable: true, aggregatable: true,
});

describe('groupFields', () => {
  const fields = [
    f('@timestamp', 'date', ['date']),
    f('level', 'string', ['text']),
    f('level.keyword', 'string', ['keyword']),
    f('user', 'string', ['keyword']),
    f('user.id', 'string', ['keyword']),
    f('extra', 'object'),
    f('extra.duration', 'number', ['float']),
    f('host', 'string', ['keyword']),
  ];
  const present = new Set(['@timestamp', 'level', 'user', 'extra.duration', 'unmapped.x']);

  it('groups selected, available and empty fields, hiding multi-fields and objects', () => {
    const g = groupFields(fields, present, ['user', 'level'], '');
    expect(g.selected.map((x) => x.name)).toEqual(['user', 'level']);
    expect(g.available.map((x) => x.name)).toEqual(['@timestamp', 'extra.duration', 'unmapped.x']);
    expect(g.available.find((x) => x.name === 'unmapped.x')!.type).toBe('unknown');
    expect(g.empty.map((x) => x.name)).toEqual(['host', 'user.id']);
  });

  it('filters by name', () => {
    const g = groupFields(fields, present, ['user'], 'DUR');
    expect(g.selected).toEqual([]);
    expect(g.available.map((x) => x.name)).toEqual(['extra.duration']);
    expect(g.empty).toEqual([]);
  });
});
