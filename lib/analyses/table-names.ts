// target_tables entries are written as in SQL; table and query checks read them the same way.

/** `Sales.Orders` → ["sales", "orders"]; `"My Schema"."Orders"` → ["My Schema", "Orders"]. */
export function splitIdentifier(name: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  const push = () => {
    const part = wasQuoted ? current : current.trim().toLowerCase();
    if (part.length > 0) parts.push(part);
    current = '';
    wasQuoted = false;
  };
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '"') {
      if (quoted && name[i + 1] === '"') {
        current += '"';
        i++;
      } else {
        quoted = !quoted;
        wasQuoted = true;
      }
    } else if (ch === '.' && !quoted) {
      push();
    } else if (quoted || ch.trim() !== '') {
      current += ch;
    }
  }
  push();
  return parts;
}
