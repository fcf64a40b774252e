// Whether a command runs a container through the docker (or podman) CLI: `docker run …`, also
// behind sudo or env, with the CLI's own options first (`docker -H x run`, `docker --context c
// run`), as `docker container run`, or inside `sh -c "…"`. The setup berth replaces: killing the
// client leaves the container running (rules.ts warns, pointing to image:).
import { splitCommand } from "./expand.js";

const CLIENTS = new Set(["docker", "podman"]);
const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh", "ksh"]);
/** Programs that run the rest of their words as a command, after options of their own. */
const PREFIXES = new Set(["sudo", "doas", "env", "exec", "nohup", "setsid", "time", "nice", "chpst"]);
/** Options of those programs that take the next word as their value (sudo -u deploy, nice -n 5). */
const PREFIX_VALUE_OPTIONS = new Set([
  "-u",
  "-g",
  "-p",
  "-C",
  "-D",
  "-h",
  "-r",
  "-t",
  "-U",
  "-T",
  "-n",
  "-S",
  "-s",
]);
/** The CLIs' global options that take the next word as their value (docker -H unix:///…). */
const CLIENT_VALUE_OPTIONS = new Set([
  "-H",
  "--host",
  "-c",
  "--context",
  "--connection",
  "--config",
  "-l",
  "--log-level",
  "--tlscacert",
  "--tlscert",
  "--tlskey",
  "--url",
  "--identity",
  "--root",
  "--runroot",
  "--storage-driver",
  "--cgroup-manager",
  "--events-backend",
  "--module",
]);
/** Words that end one shell command and begin the next. */
const SEPARATORS = /^(;|&&|\|\||\||&|\(|\)|\{|\}|then|do|else)$/;

/** "docker" or "podman" when `argv` runs a container through that CLI; else undefined. */
export function containerClient(argv: readonly string[]): string | undefined {
  let i = 0;
  while (i < argv.length && PREFIXES.has(programName(argv[i]!))) {
    const prefix = programName(argv[i]!);
    i++;
    while (i < argv.length) {
      const word = argv[i]!;
      if (prefix === "env" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) i++;
      else if (word.startsWith("-") && word !== "-") i += PREFIX_VALUE_OPTIONS.has(word) ? 2 : 1;
      else break;
    }
  }
  const program = programName(argv[i] ?? "");
  if (SHELLS.has(program)) return shellScriptClient(argv.slice(i + 1));
  if (!CLIENTS.has(program)) return undefined;
  i++;
  while (i < argv.length && argv[i]!.startsWith("-")) i += CLIENT_VALUE_OPTIONS.has(argv[i]!) ? 2 : 1;
  const [verb, sub] = [argv[i], argv[i + 1]];
  return verb === "run" || (verb === "container" && sub === "run") ? program : undefined;
}

/** `sh -c "script"` (or -ec, -lc…): the client a command of the script runs a container through. */
function shellScriptClient(args: readonly string[]): string | undefined {
  const flag = args.findIndex((word) => /^-[A-Za-z]*c[A-Za-z]*$/.test(word));
  const script = flag === -1 ? undefined : args[flag + 1];
  if (script === undefined) return undefined;
  let words: string[];
  try {
    words = splitCommand(script.replace(/(;|&&|\|\||\|)/g, " $1 "));
  } catch {
    return undefined;
  }
  let command: string[] = [];
  for (const word of [...words, ";"]) {
    if (!SEPARATORS.test(word)) {
      command.push(word);
      continue;
    }
    const client = command.length > 0 ? containerClient(command) : undefined;
    if (client) return client;
    command = [];
  }
  return undefined;
}

function programName(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}
