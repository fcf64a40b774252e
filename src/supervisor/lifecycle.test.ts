import assert from "node:assert/strict";
import { test } from "node:test";
import { INSTANCE_STATES, type InstanceState, type LifecycleEvent, transition } from "./lifecycle.js";

const events: Record<string, LifecycleEvent> = {
  start: { type: "start" },
  spawned: { type: "spawned" },
  "spawn_failed+restart": { type: "spawn_failed", restart: true },
  spawn_failed: { type: "spawn_failed", restart: false },
  probe_passed: { type: "probe_passed" },
  ended: { type: "ended" },
  "cleaned_up+restart": { type: "cleaned_up", restart: true },
  cleaned_up: { type: "cleaned_up", restart: false },
  stop: { type: "stop" },
  drained: { type: "drained" },
  backoff_elapsed: { type: "backoff_elapsed" },
};

// Every (state, event) pair, written out: "next: effect, effect". A blank entry means "stays, no effects".
const expected: Record<InstanceState, Record<keyof typeof events, string>> = {
  idle: {
    start: "starting: spawn",
    spawned: "",
    "spawn_failed+restart": "",
    spawn_failed: "",
    probe_passed: "",
    ended: "",
    "cleaned_up+restart": "",
    cleaned_up: "",
    stop: "",
    drained: "",
    backoff_elapsed: "",
  },
  starting: {
    start: "",
    spawned: "running: start_probe",
    "spawn_failed+restart": "backoff: schedule_restart",
    spawn_failed: "exited:",
    probe_passed: "",
    ended: "",
    "cleaned_up+restart": "",
    cleaned_up: "",
    stop: "stopping:",
    drained: "",
    backoff_elapsed: "",
  },
  running: {
    start: "",
    spawned: "",
    "spawn_failed+restart": "",
    spawn_failed: "",
    probe_passed: "ready:",
    ended: "ending: stop_probe, clean_up",
    "cleaned_up+restart": "",
    cleaned_up: "",
    stop: "stopping: stop_probe, start_drain",
    drained: "",
    backoff_elapsed: "",
  },
  ready: {
    start: "",
    spawned: "",
    "spawn_failed+restart": "",
    spawn_failed: "",
    probe_passed: "",
    ended: "ending: clean_up",
    "cleaned_up+restart": "",
    cleaned_up: "",
    stop: "stopping: start_drain",
    drained: "",
    backoff_elapsed: "",
  },
  stopping: {
    start: "",
    spawned: "stopping: start_stop_ladder",
    "spawn_failed+restart": "exited:",
    spawn_failed: "exited:",
    probe_passed: "",
    ended: "stopping: clean_up",
    "cleaned_up+restart": "exited: cancel_drain, cancel_stop_ladder",
    cleaned_up: "exited: cancel_drain, cancel_stop_ladder",
    stop: "",
    drained: "stopping: start_stop_ladder",
    backoff_elapsed: "",
  },
  ending: {
    start: "",
    spawned: "",
    "spawn_failed+restart": "",
    spawn_failed: "",
    probe_passed: "",
    ended: "",
    "cleaned_up+restart": "backoff: schedule_restart",
    cleaned_up: "exited:",
    stop: "",
    drained: "",
    backoff_elapsed: "",
  },
  exited: {
    start: "starting: spawn",
    spawned: "",
    "spawn_failed+restart": "",
    spawn_failed: "",
    probe_passed: "",
    ended: "",
    "cleaned_up+restart": "",
    cleaned_up: "",
    stop: "",
    drained: "",
    backoff_elapsed: "",
  },
  backoff: {
    start: "starting: cancel_restart, spawn",
    spawned: "",
    "spawn_failed+restart": "",
    spawn_failed: "",
    probe_passed: "",
    ended: "",
    "cleaned_up+restart": "",
    cleaned_up: "",
    stop: "exited: cancel_restart",
    drained: "",
    backoff_elapsed: "starting: spawn",
  },
};

for (const state of INSTANCE_STATES) {
  for (const [name, event] of Object.entries(events)) {
    test(`${state} + ${name}`, () => {
      const { next, effects } = transition(state, event);
      const want = expected[state][name] || `${state}:`;
      assert.equal(`${next}:${effects.length ? ` ${effects.join(", ")}` : ""}`, want);
    });
  }
}
