/**
 * The dotted path of the first string (or key) in a parsed request value that contains NUL
 * (\u0000), or null. PostgreSQL text cannot hold NUL, so such a value would only fail later, in the
 * database; and the custom_sql checker and the server would read a statement up to different ends.
 * Iterative: a request body nested 10,000 levels deep must not exhaust the stack.
 */
export function pathOfNul(value: unknown): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const entries = Array.isArray(current)
      ? current.map((item, i) => [String(i), item] as const)
      : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return childPath.split('\u0000').join('\\u0000');
      stack.push({ value: child, path: childPath });
    }
  }
  return null;
}
