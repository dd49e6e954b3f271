// CloudFormation refuses a template whose resources depend on each other in a circle. These are the
// ways one resource comes to depend on another: Ref, Fn::GetAtt, Fn::Sub and DependsOn.

type Resources = Record<string, { DependsOn?: string | string[]; [key: string]: unknown }>;

/** The resources a value refers to, wherever it is nested. Pseudo parameters (AWS::Region ...) are not resources. */
export function referencesIn(value: unknown, resources: Resources, found = new Set<string>()): Set<string> {
  const add = (name: string) => {
    if (name in resources) found.add(name);
  };
  if (Array.isArray(value)) {
    for (const item of value) referencesIn(item, resources, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') add(inner);
      else if (key === 'Fn::GetAtt') add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]);
      else if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(inner)
          ? [String(inner[0]), (inner[1] ?? {}) as Record<string, unknown>]
          : [String(inner), {}];
        // ${Name} and ${Name.Attribute} name a resource unless the Sub defines Name itself; ${!Literal} is text.
        for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = match[1].split('.')[0];
          if (!(name in variables)) add(name);
        }
        referencesIn(variables, resources, found);
      } else referencesIn(inner, resources, found);
    }
  }
  return found;
}

/** Every resource's dependencies: its references anywhere in its definition, and its DependsOn. */
export function dependencyGraph(resources: Resources): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const { DependsOn, ...definition } = resource;
    const edges = referencesIn(definition, resources);
    for (const name of [DependsOn ?? []].flat()) edges.add(name);
    graph.set(id, edges);
  }
  return graph;
}

/** Each cycle found by a depth-first walk, as the resources on it with the first repeated at the end. */
export function dependencyCycles(resources: Resources): string[][] {
  const graph = dependencyGraph(resources);
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string) => {
    state.set(id, 'visiting');
    path.push(id);
    for (const next of graph.get(id) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(id, 'done');
  };
  for (const id of graph.keys()) if (!state.has(id)) visit(id);
  return cycles;
}
