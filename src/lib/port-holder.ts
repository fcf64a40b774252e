// Who is listening on a TCP port, so "port 8080 is in use" can say by whom. Linux only: read
// from /proc; anything that cannot be read (another user's process, no /proc) means "cannot tell".
import { readdir, readFile, readlink } from "node:fs/promises";

export interface PortHolder {
  pid: number;
  command: string;
}

const TCP_LISTEN = "0A";

export async function portHolder(port: number): Promise<PortHolder | undefined> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const inode of listeningInodes(text, port)) inodes.add(inode);
  }
  if (inodes.size === 0) return undefined;
  const pid = await pidHoldingSocket(inodes);
  if (pid === undefined) return undefined;
  return { pid, command: await commandOf(pid) };
}

/** Socket inodes in LISTEN state on `port`, from the text of /proc/net/tcp or /proc/net/tcp6. */
export function listeningInodes(table: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of table.split("\n").slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    const inode = fields[9];
    if (local === undefined || state !== TCP_LISTEN || inode === undefined || inode === "0") continue;
    const portHex = local.slice(local.lastIndexOf(":") + 1);
    if (Number.parseInt(portHex, 16) === port) inodes.push(inode);
  }
  return inodes;
}

/**
 * The lowest pid with one of the sockets open. A forking server's workers share the listening
 * socket with their parent, which usually has the lowest pid and is the one to name.
 */
async function pidHoldingSocket(inodes: Set<string>): Promise<number | undefined> {
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const pids = entries
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      if (wanted.has(link)) return pid;
    }
  }
  return undefined;
}

async function commandOf(pid: number): Promise<string> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  const argv = cmdline.split("\0").filter((arg) => arg.length > 0);
  if (argv.length > 0) return argv.join(" ");
  // Empty for kernel threads and zombies; the short name is better than nothing.
  return (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
}
