import { spawn } from "node:child_process";
import { MARKER_VAR } from "./runtime/process-sweeper.js";

// A few lines of POSIX sh, detached from berth: it blocks reading a pipe from berth and,
// once that pipe closes (berth exited, crashed or was SIGKILLed), kills every process
// that still carries this run's marker, including grandchildren that left their process
// group. sh costs about a megabyte, where a second node would cost forty.
const SCRIPT = `
cat >/dev/null
pass=0
while [ $pass -lt 5 ]; do
  pids=$(grep -lsz -- "^${MARKER_VAR}=$1" /proc/[0-9]*/environ 2>/dev/null | sed -n 's#^/proc/\\([0-9]*\\)/environ$#\\1#p')
  [ -z "$pids" ] && break
  kill -KILL $pids 2>/dev/null
  pass=$((pass + 1))
done
# The run's cgroup, if it has one ($2): what is in it cannot have escaped.
if [ -n "$2" ] && [ -d "$2" ]; then
  for procs in "$2"/*/cgroup.procs; do
    [ -f "$procs" ] && kill -KILL $(cat "$procs") 2>/dev/null
  done
  for leaf in "$2"/*/; do rmdir "$leaf" 2>/dev/null; done
  rmdir "$2" 2>/dev/null
fi
`;

/** Starts the watchdog for one berth run; `runId` must be a plain token (letters, digits). */
export function startWatchdog(runId: string, cgroupDir?: string): { pid: number | undefined } {
  const child = spawn("/bin/sh", ["-c", SCRIPT, "berth-watchdog", `${runId}/`, cgroupDir ?? ""], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.on("error", () => {});
  // Neither the child nor its pipe may keep berth's event loop alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return { pid: child.pid };
}
