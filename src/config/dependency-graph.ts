// Cycles in depends_on. Each strongly connected group of services is one problem, reported
// once, as the shortest cycle through its first-written member: `web → api → web`.

/**
 * One cycle per strongly connected group of two or more services, each as the services in
 * order from the group's first-written member (the cycle closes back to it). Self-edges are
 * ignored: they are reported on their own.
 */
export function findCycles(
  order: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
): string[][] {
  const cycles: string[][] = [];
  for (const group of stronglyConnected(order, edges)) {
    if (group.size < 2) continue;
    const start = order.find((n) => group.has(n))!;
    cycles.push(shortestCycle(start, group, edges));
  }
  // Report in the order the services were written, not the order Tarjan happens to finish them.
  return cycles.sort((a, b) => order.indexOf(a[0]!) - order.indexOf(b[0]!));
}

// Tarjan's algorithm; the graphs are tens of nodes, so recursion depth is no concern.
function stronglyConnected(
  order: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
): Set<string>[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: Set<string>[] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (w === v || !edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group = new Set<string>();
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.add(w);
      } while (w !== v);
      groups.push(group);
    }
  };
  for (const v of order) if (edges.has(v) && !index.has(v)) visit(v);
  return groups;
}

// Breadth-first from start back to start, within the group: the shortest, most readable cycle.
function shortestCycle(
  start: string,
  group: Set<string>,
  edges: ReadonlyMap<string, readonly string[]>,
): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!group.has(w) || w === v) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start]; // unreachable for a strongly connected group
}
