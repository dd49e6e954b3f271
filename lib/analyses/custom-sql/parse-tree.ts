export type AstNode = Record<string, unknown>;

/** How deeply parse-tree nodes may nest; a 400-term `a + b + ...` chain is already far past any real query. */
export const maxNodeDepth = 400;

export class TooDeeplyNestedError extends Error {
  constructor() {
    super(
      `The statement nests expressions or subqueries more than ${maxNodeDepth} levels deep; split it or simplify it`,
    );
  }
}

/**
 * Every node of a libpg-query JSON tree as [type, body], parents before children. Node types are
 * the only keys that start with a capital letter ({ "FuncCall": {...} }); field names never do.
 * Iterative with an explicit stack, so a deep tree costs linear time and never the call stack.
 */
export function nodesOf(tree: unknown): Array<[string, AstNode]> {
  const nodes: Array<[string, AstNode]> = [];
  const stack: Array<{ value: unknown; depth: number }> = [{ value: tree, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      const isNode = /^[A-Z]/.test(key) && child !== null && typeof child === 'object' && !Array.isArray(child);
      const childDepth = isNode ? depth + 1 : depth;
      if (childDepth > maxNodeDepth) throw new TooDeeplyNestedError();
      stack.push({ value: child, depth: childDepth });
    }
    // Children are pushed above; the node itself is recorded when its wrapper object is visited.
    for (const [key, child] of entries) {
      if (/^[A-Z]/.test(key) && child !== null && typeof child === 'object' && !Array.isArray(child))
        nodes.push([key, child as AstNode]);
    }
  }
  return nodes;
}

export function unwrap(node: AstNode): [string, AstNode] {
  const [type, body] = Object.entries(node)[0] ?? ['unknown', {}];
  return [type, (body ?? {}) as AstNode];
}

/** The strings of a list of String nodes, e.g. a function's or a type's qualified name. */
export function stringsOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((item) => (item as { String?: { sval?: string } })?.String?.sval)
    .filter((s): s is string => typeof s === 'string');
}
