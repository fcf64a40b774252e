// What a probe resolves with once its signal aborts. Kept apart from probe.ts so the probes
// import no runtime value from the module that imports them.
import type { ProbeResult } from "./probe.js";

export const abortedResult: ProbeResult = { ok: false, reason: "aborted" };
