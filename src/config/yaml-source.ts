// The YAML text of a config file: parsed once with a LineCounter, so any key path can be turned
// back into the line:col where the user wrote it. Syntax errors stop here, located too.
import { isAlias, isCollection, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { error, type PathIssue, type PathSegment, warning } from "./issue.js";

export interface Position {
  line: number;
  col: number;
}

export interface YamlSource {
  /** The document as plain data (aliases and merge keys resolved); undefined if it had syntax errors. */
  data: unknown;
  /** Syntax errors (which leave no data) and YAML warnings. */
  issues: PathIssue[];
  /** Where `issues` and any later issue point; see locate(). */
  positions: Map<PathIssue, Position>;
  locate(path: readonly PathSegment[], at?: "key"): Position;
}

// yaml's wording is written for programmers calling it; a few codes get words for a config file.
const FRIENDLIER: Record<string, string> = {
  MULTIPLE_DOCS: "a config file holds one YAML document; remove the second ---",
  DUPLICATE_KEY: "this key appears twice in the same map; keep one",
  TAB_AS_INDENT: "tabs cannot indent YAML; use spaces",
};

/**
 * `{ PORT: ${PORT} }` and `[serve, ${PORT}]` are broken YAML: inside { } and [ ], the braces of
 * berth's own ${VAR} are YAML syntax. Said when the line with the error has both.
 */
function flowHint(text: string, position: Position): string {
  const line = text.split("\n")[position.line - 1] ?? "";
  if (!line.includes("${") || !/[[{]/.test(line.replace(/\$\{/g, ""))) return "";
  // biome-ignore lint/suspicious/noTemplateCurlyInString: berth's ${VAR} syntax, written literally.
  return '; inside { } or [ ], quote a value with ${…} in it: "${PORT}"';
}

export function parseYaml(text: string): YamlSource {
  const lines = new LineCounter();
  // merge: `<<: *defaults` is common in hand-written YAML (docker compose files use it).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const at = (offset: number): Position => lines.linePos(offset);
  const issues: PathIssue[] = [];
  const positions = new Map<PathIssue, Position>();
  const seen = new Set<number>();
  let hinted = false;
  for (const e of doc.errors) {
    // One mistake often yields several errors at the same spot; the first says it best.
    if (seen.has(e.pos[0])) continue;
    seen.add(e.pos[0]);
    const hint: string = hinted ? "" : flowHint(text, at(e.pos[0]));
    hinted ||= hint !== "";
    const issue = error([], `invalid YAML: ${FRIENDLIER[e.code] ?? e.message}${hint}`);
    issues.push(issue);
    positions.set(issue, at(e.pos[0]));
  }
  for (const w of doc.warnings) {
    const issue = warning([], `YAML: ${w.message}`);
    issues.push(issue);
    positions.set(issue, at(w.pos[0]));
  }

  const locate = (path: readonly PathSegment[], mode?: "key"): Position => {
    // Walk down as far as the path exists, remembering each step's key node: a missing key is
    // reported at its parent's key (`web:`), a wrong block map or list at the key that holds it.
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let i = 0;
    for (; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
        keyNode = undefined;
        node = node.items[seg];
      } else {
        break;
      }
    }
    const found = i === path.length;
    if (found && mode === "key" && keyNode?.range) return at(keyNode.range[0]);
    const blockCollection = isCollection(node) && !node.flow;
    // `web:` with nothing after it holds an empty scalar that sits after the colon: use the key.
    const empty = node == null || (isScalar(node) && node.value === null);
    if (keyNode?.range && (!found || blockCollection || empty)) return at(keyNode.range[0]);
    if ((isScalar(node) || isCollection(node) || isAlias(node)) && node.range) return at(node.range[0]);
    return { line: 1, col: 1 };
  };

  let data: unknown;
  if (doc.errors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // toJS refuses alias bombs ("billion laughs") and similar; the document is unusable.
      const issue = error([], `invalid YAML: ${(e as Error).message}`);
      issues.push(issue);
      positions.set(issue, { line: 1, col: 1 });
    }
  }
  return { data, issues, positions, locate };
}
