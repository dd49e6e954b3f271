/**
 * Turns one value, as the server printed it in text format, into JSON without losing anything.
 * The transaction sets DateStyle ISO, bytea_output hex and extra_float_digits 1, so the text is
 * predictable. Values that JSON numbers cannot hold exactly (int8, numeric) stay strings.
 */
export type ValueKind = 'integer' | 'float' | 'boolean' | 'timestamp' | 'json' | 'text';

export interface ValueFormat {
  kind: ValueKind;
  /** Set for array types: how each element is serialized. */
  element?: ValueKind;
}

// Keyed by the base type's pg_type.typname (a domain is serialized like the type it is based on).
const kindByTypeName: Record<string, ValueKind> = {
  int2: 'integer',
  int4: 'integer',
  oid: 'integer',
  float4: 'float',
  float8: 'float',
  bool: 'boolean',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
  json: 'json',
  jsonb: 'json',
  // int8 and numeric go out as text: 9007199254740993 or 1.10 would not survive a JSON number.
  // date, bytea ('\x...'), text and everything else are already what a DBA expects as printed.
};

export function valueKindOf(typeName: string): ValueKind {
  return kindByTypeName[typeName] ?? 'text';
}

export function serializeValue(text: string | null, format: ValueFormat): unknown {
  if (text === null) return null;
  if (format.element) return parseArrayLiteral(text, format.element) ?? text;
  return serializeScalar(text, format.kind);
}

function serializeScalar(text: string, kind: ValueKind): unknown {
  switch (kind) {
    case 'integer':
      return Number(text);
    case 'float':
      // NaN, Infinity and -Infinity have no JSON number; they stay as the server spells them.
      return /^-?(NaN|Infinity)$/.test(text) ? text : Number(text);
    case 'boolean':
      return text === 't';
    case 'timestamp':
      return isoTimestamp(text);
    case 'json':
      return JSON.parse(text);
    case 'text':
      return text;
  }
}

/**
 * '2024-03-01 12:00:00.5+01' → '2024-03-01T12:00:00.5+01:00'. BC dates, infinity and offsets with
 * seconds (local mean time before 1900) have no ISO 8601 form and are returned as printed.
 */
export function isoTimestamp(text: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::(\d\d))?)?$/.exec(text);
  if (!match) return text;
  const [, date, time, offsetHours, offsetMinutes] = match;
  const offset = offsetHours === undefined ? '' : `${offsetHours}:${offsetMinutes ?? '00'}`;
  return `${date}T${time}${offset}`;
}

/**
 * Reads an array literal such as {1,2,NULL} or {{"a b","c\"d"},{e,f}} into nested JSON arrays,
 * each element serialized as `element`. Returns null for what it does not read (arrays with explicit
 * bounds like [0:1]={1,2}); the caller then keeps the server's text.
 */
export function parseArrayLiteral(text: string, element: ValueKind): unknown[] | null {
  if (!text.startsWith('{')) return null;
  let position = 0;

  const readArray = (): unknown[] => {
    const items: unknown[] = [];
    position++; // '{'
    if (text[position] === '}') {
      position++;
      return items;
    }
    for (;;) {
      if (text[position] === '{') items.push(readArray());
      else if (text[position] === '"') items.push(serializeScalar(readQuoted(), element));
      else {
        const bare = readBare();
        items.push(bare === 'NULL' ? null : serializeScalar(bare, element));
      }
      const separator = text[position++];
      if (separator === '}') return items;
      if (separator !== ',') throw new Error('unexpected array syntax');
    }
  };

  const readQuoted = (): string => {
    let value = '';
    position++; // opening quote
    while (text[position] !== '"') {
      if (position >= text.length) throw new Error('unterminated quoted element');
      if (text[position] === '\\') position++;
      value += text[position++];
    }
    position++; // closing quote
    return value;
  };

  const readBare = (): string => {
    const start = position;
    while (position < text.length && text[position] !== ',' && text[position] !== '}') position++;
    return text.slice(start, position);
  };

  try {
    const result = readArray();
    return position === text.length ? result : null;
  } catch {
    return null;
  }
}
