// Commands are split like a shell splits words but never run through one, and `${VAR}` is
// expanded per Instance (when $PORT is known), word by word, after splitting: a value with
// spaces stays one argument and quotes do not stop expansion (`$$` is the literal `$`).

/** Words of a command line: whitespace separates, '…' is literal, "…" allows \" and \\, \x is x. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = "";
  // A word exists once anything, even an empty pair of quotes, was written: `--save ""` is two words.
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw unterminated("'", text, i);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw unterminated('"', text, i);
        const d = text[j]!;
        if (d === '"') break;
        // Inside double quotes only \" and \\ are escapes; any other backslash is kept, as in sh.
        if (d === "\\" && (text[j + 1] === '"' || text[j + 1] === "\\")) {
          word += text[j + 1];
          j += 2;
        } else {
          word += d;
          j++;
        }
      }
      inWord = true;
      i = j + 1;
    } else if (c === "\\") {
      const next = text[i + 1];
      if (next === undefined)
        throw new Error("command ends with a lone backslash; write \\\\ for a literal one");
      // Backslash-newline continues the line, as in sh; anything else is taken literally.
      if (next !== "\n") {
        word += next;
        inWord = true;
      }
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function unterminated(quote: string, text: string, at: number): Error {
  const name = quote === "'" ? "single" : "double";
  const context = text.slice(Math.max(0, at - 20), at + 1);
  return new Error(
    `unterminated ${name} quote (opened at ${JSON.stringify(context)}); close it or escape it as \\${quote}`,
  );
}

type Piece = { text: string } | { name: string };

const NAME_START = /[A-Za-z_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// The one parser of `${…}`: expandVars and referencedVars both read through it, so they agree
// on what is a reference and what is malformed.
function pieces(word: string): Piece[] {
  const out: Piece[] = [];
  let text = "";
  let i = 0;
  while (i < word.length) {
    const c = word[i]!;
    const next = word[i + 1];
    if (c !== "$") {
      text += c;
      i++;
    } else if (next === "$") {
      text += "$";
      i += 2;
    } else if (next === "{") {
      const end = word.indexOf("}", i + 2);
      if (end < 0)
        throw new Error(`unterminated \${ in ${JSON.stringify(word)}; write \${NAME}, or $$ for a literal $`);
      const name = word.slice(i + 2, end);
      if (!NAME.test(name)) {
        throw new Error(
          `\${${name}} is not a variable reference: only \${NAME} is supported (letters, digits, _), or $$ for a literal $`,
        );
      }
      if (text) out.push({ text });
      text = "";
      out.push({ name });
      i = end + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      // $NAME is refused rather than passed through: someone writing $HOME expects it expanded,
      // and silently handing the program a literal "$HOME" is the worse surprise.
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i + 1))![0];
      throw new Error(`$${name} is not expanded; write \${${name}}, or $$${name} for a literal $`);
    } else {
      // A $ before a digit, space, punctuation or the end (awk's $1, a price) is just a $.
      text += c;
      i++;
    }
  }
  if (text) out.push({ text });
  return out;
}

/** `word` with each ${NAME} replaced by vars[NAME]; `$$` is `$`. Throws if a name is not set. */
export function expandVars(word: string, vars: Record<string, string | undefined>): string {
  let out = "";
  for (const piece of pieces(word)) {
    if ("text" in piece) {
      out += piece.text;
      continue;
    }
    const value = vars[piece.name];
    if (value === undefined) throw new Error(`\${${piece.name}} is not set`);
    out += value;
  }
  return out;
}

/** The names referenced as ${NAME} in `word`, in order, without repeats. Throws if malformed. */
export function referencedVars(word: string): string[] {
  const names: string[] = [];
  for (const piece of pieces(word)) {
    if ("name" in piece && !names.includes(piece.name)) names.push(piece.name);
  }
  return names;
}

/**
 * A service's env with ${VAR} expanded. A name refers to another entry of the same env, except
 * within its own chain of definitions, where it refers to `base` (berth's environment and PORT):
 * so `PATH: /opt/bin:${PATH}` extends berth's PATH instead of looping.
 */
export function expandEnv(
  env: Record<string, string>,
  base: Record<string, string | undefined>,
): Record<string, string> {
  // Values that did not depend on the chain they were computed in, so any caller may reuse them.
  const settled = new Map<string, string>();
  const resolve = (key: string, chain: ReadonlySet<string>): { value: string; settled: boolean } => {
    const known = settled.get(key);
    if (known !== undefined) return { value: known, settled: true };
    const inner = new Set(chain).add(key);
    let independent = true;
    const vars = new Proxy(base, {
      get: (target, name) => {
        if (typeof name !== "string") return undefined;
        if (!Object.hasOwn(env, name)) return target[name];
        if (inner.has(name)) {
          independent = false; // the answer depends on who asked: not reusable
          return target[name];
        }
        const found = resolve(name, inner);
        if (!found.settled) independent = false;
        return found.value;
      },
    });
    const value = expandVars(env[key]!, vars);
    if (independent) settled.set(key, value);
    return { value, settled: independent };
  };
  const out: Record<string, string> = {};
  for (const key of Object.keys(env)) out[key] = resolve(key, new Set()).value;
  return out;
}
