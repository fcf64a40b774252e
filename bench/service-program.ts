// What each service of the supervisor benchmark runs: the cheapest realistic service there is
// on this machine, a real HTTP server listening on $PORT.
import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

/** berth's reference to an instance's port, expanded by berth (not a JS template). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: berth's own ${VAR} syntax
export const PORT_REF = "${PORT}";

export interface ServiceProgram {
  label: string;
  /** The service's command, word by word; berth expands ${PORT}. */
  argv: string[];
  /** Creates what the command needs in the run's directory. */
  prepare(dir: string): void;
}

/**
 * busybox httpd when there is a busybox with it: a static binary using a few hundred KiB per instance; python3's http.server (about 15 MiB and
 * ~50 ms of CPU to start, each) is the fallback, and its figures say more about python than berth.
 */
export function serviceProgram(): ServiceProgram {
  const www = (dir: string) => {
    mkdirSync(join(dir, "www"), { recursive: true });
    writeFileSync(join(dir, "www", "index.html"), "ok\n");
  };
  const busybox = ["/bin/busybox", "/usr/bin/busybox", findExecutable("busybox")].find(
    (path) => path !== undefined && hasApplet(path, "httpd"),
  );
  if (busybox) {
    const argv = [busybox, "httpd", "-f", "-p", `127.0.0.1:${PORT_REF}`, "-h", "www"];
    return { label: `busybox httpd: ${argv.join(" ")}`, argv, prepare: www };
  }
  const python = realPython();
  if (python) {
    return {
      label: `python3 http.server (no busybox with httpd found; apt-get install busybox-static for lighter services)`,
      argv: [python, "-m", "http.server", "--bind", "127.0.0.1", "--directory", "www", PORT_REF],
      prepare: www,
    };
  }
  throw new Error("neither busybox (with httpd) nor python3 found: apt-get install busybox-static");
}

/** python3's own executable (not a pyenv shim, a shell script that would cost a shell per instance). */
function realPython(): string | undefined {
  const shim = findExecutable("python3");
  if (!shim) return undefined;
  try {
    return (
      execFileSync(shim, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim() || shim
    );
  } catch {
    return undefined;
  }
}

function hasApplet(busybox: string, applet: string): boolean {
  try {
    return execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").includes(applet);
  } catch {
    return false;
  }
}

export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir || ".", name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}
