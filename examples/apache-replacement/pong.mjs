// A stand-in for Redis: a TCP server on $PORT (127.0.0.1 only) that speaks just enough of the
// Redis protocol for a health check. `PING` answers `+PONG`, `PING hello` answers `$5 hello`,
// `QUIT` answers `+OK` and closes; anything else gets an error. Both inline commands
// (`printf 'PING\r\n' | nc 127.0.0.1 6380`) and RESP arrays (`redis-cli -p 6380 ping`) work.
import { createServer } from "node:net";

const port = Number(process.env.PORT);

/** The complete commands at the start of `buffer`, as word lists, and the bytes left over. */
function parse(buffer) {
  const commands = [];
  let rest = buffer;
  for (;;) {
    if (rest.startsWith("*")) {
      // A RESP array of bulk strings: *<n>\r\n then $<len>\r\n<bytes>\r\n n times.
      const lines = rest.split("\r\n");
      const count = Number(lines[0].slice(1));
      if (lines.length < 2 * count + 2) break;
      const words = [];
      for (let i = 0; i < count; i++) words.push(lines[2 + 2 * i]);
      commands.push(words);
      rest = lines.slice(2 * count + 1).join("\r\n");
    } else {
      const end = rest.indexOf("\n");
      if (end < 0) break;
      const words = rest.slice(0, end).trim().split(/\s+/).filter(Boolean);
      if (words.length > 0) commands.push(words);
      rest = rest.slice(end + 1);
    }
  }
  return { commands, rest };
}

const clients = new Set();
const server = createServer((socket) => {
  clients.add(socket);
  socket.on("close", () => clients.delete(socket));
  let pending = "";
  socket.setEncoding("utf8");
  socket.on("data", (data) => {
    const { commands, rest } = parse(pending + data);
    pending = rest;
    for (const [name = "", ...args] of commands) {
      const command = name.toUpperCase();
      if (command === "PING" && args.length === 0) socket.write("+PONG\r\n");
      else if (command === "PING") socket.write(`$${Buffer.byteLength(args[0])}\r\n${args[0]}\r\n`);
      else if (command === "QUIT") socket.end("+OK\r\n");
      else socket.write(`-ERR unknown command '${name}'\r\n`);
    }
  });
  socket.on("error", () => {});
});

server.listen(port, "127.0.0.1", () => console.log(`ready to accept connections on 127.0.0.1:${port}`));

// berth's stop ladder starts with SIGTERM: stop accepting, close the clients, exit.
process.on("SIGTERM", () => {
  console.log("SIGTERM: shutting down");
  server.close(() => process.exit(0));
  for (const socket of clients) socket.destroy();
  setTimeout(() => process.exit(0), 1000).unref();
});
