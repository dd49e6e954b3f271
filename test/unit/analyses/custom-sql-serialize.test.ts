import { describe, expect, it } from 'vitest';
import {
  isoTimestamp,
  parseArrayLiteral,
  serializeValue,
  valueKindOf,
} from '../../../lib/analyses/custom-sql/serialize-value.js';

const as = (typeName: string) => ({ kind: valueKindOf(typeName) });

describe('serializeValue', () => {
  it('keeps int8 and numeric as exact strings', () => {
    expect(serializeValue('9007199254740993', as('int8'))).toBe('9007199254740993');
    expect(serializeValue('1.10', as('numeric'))).toBe('1.10');
  });

  it('turns int2, int4, oid and floats into JSON numbers', () => {
    expect(serializeValue('-32768', as('int2'))).toBe(-32768);
    expect(serializeValue('4000000000', as('oid'))).toBe(4000000000);
    expect(serializeValue('0.1', as('float8'))).toBe(0.1);
    expect(serializeValue('1e+300', as('float8'))).toBe(1e300);
  });

  it('keeps NaN and the infinities of floats as strings, since JSON has no such numbers', () => {
    expect(serializeValue('NaN', as('float8'))).toBe('NaN');
    expect(serializeValue('-Infinity', as('float4'))).toBe('-Infinity');
  });

  it('reads booleans, JSON and NULL', () => {
    expect(serializeValue('t', as('bool'))).toBe(true);
    expect(serializeValue('f', as('bool'))).toBe(false);
    expect(serializeValue('{"a": [1, null]}', as('jsonb'))).toEqual({ a: [1, null] });
    expect(serializeValue(null, as('int8'))).toBeNull();
  });

  it('returns bytea hex and dates as printed', () => {
    expect(serializeValue('\\x01ff', as('bytea'))).toBe('\\x01ff');
    expect(serializeValue('2024-02-29', as('date'))).toBe('2024-02-29');
  });
});

describe('isoTimestamp', () => {
  it('joins date and time with T and spells the offset as ±HH:MM', () => {
    expect(isoTimestamp('2024-03-01 11:00:00.5+00')).toBe('2024-03-01T11:00:00.5+00:00');
    expect(isoTimestamp('2024-03-01 11:00:00+05:30')).toBe('2024-03-01T11:00:00+05:30');
    expect(isoTimestamp('2024-03-01 11:00:00')).toBe('2024-03-01T11:00:00');
  });

  it('leaves values without an ISO 8601 form as the server printed them', () => {
    expect(isoTimestamp('infinity')).toBe('infinity');
    expect(isoTimestamp('0044-03-15 00:00:00+00 BC')).toBe('0044-03-15 00:00:00+00 BC');
    expect(isoTimestamp('1850-01-01 00:00:00+00:53:28')).toBe('1850-01-01 00:00:00+00:53:28');
  });
});

describe('parseArrayLiteral', () => {
  it('reads flat and nested arrays with NULL elements', () => {
    expect(parseArrayLiteral('{1,2,NULL}', 'integer')).toEqual([1, 2, null]);
    expect(parseArrayLiteral('{{1,2},{3,4}}', 'text')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(parseArrayLiteral('{}', 'integer')).toEqual([]);
  });

  it('unquotes quoted elements and keeps a quoted "NULL" as text', () => {
    expect(parseArrayLiteral('{"a b","c\\"d","NULL",NULL}', 'text')).toEqual(['a b', 'c"d', 'NULL', null]);
  });

  it('returns null for arrays with explicit bounds or broken syntax, so the server text is kept', () => {
    expect(parseArrayLiteral('[0:1]={1,2}', 'integer')).toBeNull();
    expect(parseArrayLiteral('{"open', 'text')).toBeNull();
    expect(serializeValue('[0:1]={1,2}', { kind: 'text', element: 'integer' })).toBe('[0:1]={1,2}');
  });
});
