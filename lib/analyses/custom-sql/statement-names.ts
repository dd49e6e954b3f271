import { stringsOf, type AstNode } from './parse-tree.js';

/** A name as written: `schema.name` or a bare name that the server resolves. */
export interface WrittenName {
  schema: string | null;
  name: string;
  /** Look the bare name up in every schema, not only the search path (for SQL function bodies). */
  anywhere?: boolean;
}

/** What a statement names, to be looked up in the reviewed database's catalog before it runs. */
export interface StatementNames {
  relations: WrittenName[];
  functions: WrittenName[];
  operators: WrittenName[];
  types: WrittenName[];
}

export function emptyNames(): StatementNames {
  return { relations: [], functions: [], operators: [], types: [] };
}

/**
 * Relations, functions, operators and types a statement names anywhere in its tree. Generous on
 * purpose: a CTE's name is looked up as a relation, and every column reference's last part as a
 * function too, because `t.f` calls f(t) when t has no column f (functional notation).
 */
export function namesIn(nodes: Array<[string, AstNode]>): StatementNames {
  const names = emptyNames();
  // JOIN ... USING, NATURAL JOIN and CASE x WHEN y compare with = without writing it.
  names.operators.push({ schema: null, name: '=' });
  const add = (list: WrittenName[], parts: string[]) => {
    if (parts.length === 0) return;
    list.push({ schema: parts.length > 1 ? parts[parts.length - 2] : null, name: parts[parts.length - 1] });
  };
  for (const [type, body] of nodes) {
    switch (type) {
      case 'RangeVar':
        add(
          names.relations,
          [body.schemaname, body.relname].filter((s): s is string => typeof s === 'string'),
        );
        break;
      case 'FuncCall':
        add(names.functions, stringsOf(body.funcname));
        break;
      case 'RangeTableSample':
        add(names.functions, stringsOf(body.method));
        break;
      case 'ColumnRef':
        add(names.functions, stringsOf(body.fields).slice(-1));
        break;
      case 'A_Indirection':
        for (const field of stringsOf(body.indirection)) add(names.functions, [field]);
        break;
      case 'A_Expr': {
        const operator = stringsOf(body.name);
        // BETWEEN is written as one word but runs the >= and <= operators of its operands' types.
        if (operator.some((part) => /BETWEEN/i.test(part))) {
          add(names.operators, ['>=']);
          add(names.operators, ['<=']);
        } else add(names.operators, operator);
        break;
      }
      case 'SubLink':
        add(names.operators, stringsOf(body.operName));
        break;
      case 'SortBy':
        add(names.operators, stringsOf(body.useOp));
        break;
      case 'TypeName':
        add(names.types, stringsOf(body.names));
        break;
    }
  }
  return names;
}

export function mergeNames(into: StatementNames, from: StatementNames): StatementNames {
  return {
    relations: [...into.relations, ...from.relations],
    functions: [...into.functions, ...from.functions],
    operators: [...into.operators, ...from.operators],
    types: [...into.types, ...from.types],
  };
}
