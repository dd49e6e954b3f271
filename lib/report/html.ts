/**
 * Markup that is already safe to emit. Everything else interpolated into `html` is escaped, so a
 * finding's text (SQL, identifiers and messages from the reviewed database) can never become markup.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const special = /[&<>"']/;

export function escapeHtml(text: string): string {
  // Most values (ids, names, times) have nothing to escape: testing first spares building a copy of each.
  return special.test(text) ? text.replace(/[&<>"']/g, (c) => entities[c]) : text;
}

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (typeof value === 'string') return escapeHtml(value);
  // A number's text has nothing to escape.
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value) out += render(item);
    return out;
  }
  // false and nullish render nothing, so `${cond && html`...`}` reads naturally.
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Pages of a thousand rows are built from tens of thousands of these calls, so this is a plain loop of
 * appends: V8 keeps them as a rope, and the page is flattened once, when it is sent.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}
