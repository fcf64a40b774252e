// The demo's web app: a tiny HTTP server on $PORT. berth runs two replicas of it.
import { createServer } from "node:http";

const name = process.env.BERTH_INSTANCE?.split("/")[1] ?? "app";
const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok\n");
  res.setHeader("content-type", "text/plain");
  res.end(`hello from ${name} (pid ${process.pid})\n`);
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${process.env.PORT}/`);
});
// Finish in-flight requests on SIGTERM, then exit: what berth's stop ladder asks first.
process.on("SIGTERM", () => {
  console.log("SIGTERM: closing");
  server.close(() => process.exit(0));
});
