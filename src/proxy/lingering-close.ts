// How berth closes a client connection it answered last: send what is left and FIN, then read on
// and throw away whatever the client still sends until it closes too (nginx's "lingering close").
// Closing at once with unread bytes in the socket would make the kernel reset the connection, and
// a reset can destroy the very answer the client has not read yet. A client silent for LINGER_MS,
// or still sending after LINGER_TOTAL_MS, is cut off (nginx: lingering_timeout, lingering_time).
import type { Socket } from "node:net";

export const LINGER_MS = 5_000;
export const LINGER_TOTAL_MS = 30_000;

function cutOff(this: Socket): void {
  this.destroy();
}

/** Ends `socket` after `last`; its reads are thrown away until the client closes too. */
export function endLingering(socket: Socket, last?: string): void {
  if (last === undefined) socket.end();
  else socket.end(last, "latin1");
  lingerOn(socket);
  socket.resume();
}

/** Bounds the wait for the client's own close; the caller sees that its reads are discarded. */
export function lingerOn(socket: Socket): void {
  socket.setTimeout(LINGER_MS);
  socket.removeAllListeners("timeout");
  socket.once("timeout", cutOff);
  const total = setTimeout(() => socket.destroy(), LINGER_TOTAL_MS).unref();
  socket.once("close", () => clearTimeout(total));
}
