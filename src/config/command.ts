// A command as written (a string or a list of words) → argv, for `command:` and `ready: { exec }`.
// ${VAR} references stay in the words (they are expanded per Instance) but are checked here,
// so a malformed one is a config error now rather than a failed start later.
import { referencedVars, splitCommand } from "./expand.js";
import { error, type PathIssue, type PathSegment, warning } from "./issue.js";

// Words a shell would treat as operators. berth runs no shell, so they reach the program as
// arguments; almost always that was not the intent.
const SHELL_OPERATORS = new Set(["&&", "||", "|", ";", "&", ">", ">>", "<", "2>&1", "2>", "|&"]);

/** The argv, or undefined if the command is unusable (the reason is in `issues`). */
export function normalizeCommand(
  written: string | string[],
  path: PathSegment[],
  issues: PathIssue[],
): string[] | undefined {
  if (typeof written === "string") {
    let words: string[];
    try {
      words = splitCommand(written);
    } catch (e) {
      issues.push(error(path, (e as Error).message));
      return undefined;
    }
    if (words.length === 0) {
      issues.push(error(path, "empty command; expected the program to run, like: node server.js"));
      return undefined;
    }
    const operator = words.find((w) => SHELL_OPERATORS.has(w));
    if (operator) {
      issues.push(
        warning(
          path,
          `"${operator}" is passed to the program as an argument: commands do not run through a shell; ` +
            `if you need one, write ["sh", "-c", "…"]`,
        ),
      );
    }
    // map, not every: each malformed word is reported, not just the first.
    return words.map((w) => varsAreWellFormed(w, path, issues)).every(Boolean) ? words : undefined;
  }
  if (written[0] === "") {
    issues.push(error([...path, 0], "the program name is empty"));
    return undefined;
  }
  return written.map((w, i) => varsAreWellFormed(w, [...path, i], issues)).every(Boolean)
    ? written
    : undefined;
}

/** Reports a malformed ${…} or bare $NAME in `word` at `path`; true if there is none. */
export function varsAreWellFormed(word: string, path: PathSegment[], issues: PathIssue[]): boolean {
  try {
    referencedVars(word);
    return true;
  } catch (e) {
    issues.push(error(path, (e as Error).message));
    return false;
  }
}
