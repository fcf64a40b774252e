// The nginx configs the proxy benchmark writes: the backend both proxies forward to, and nginx
// as the proxy berth is compared with. Comparable work on both sides: one worker; keep-alive to
// the backend; the client's Host sent upstream with X-Forwarded-*, Forwarded and X-Request-Id set,
// as berth does; an access log file, written in batches as berth's is.
import { userInfo } from "node:os";

export const SMALL_BODY = "hello from the backend\n";
export const LARGE_BYTES = 16 * 1024;
/** The paths the backend serves: a short text, and a 16 KiB static file. */
export const PATHS = { small: "/small", large: "/16k" } as const;

/** As root, workers run as root too (nginx's default would be nobody, who cannot write the temp dir). */
function userLine(): string {
  return process.getuid?.() === 0 ? `user ${userInfo().username};` : "";
}

function common(dir: string): string {
  return `# Written by bench/proxy.ts.
${userLine()}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }`;
}

function temps(dir: string): string {
  return ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`)
    .join("\n");
}

/** The backend: `return 200` for the small response, sendfile for the 16 KiB one; no log. */
export function backendConfig(dir: string, www: string, port: number): string {
  return `${common(dir)}
http {
${temps(dir)}
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  # The proxies' upstream connections live for the whole bench.
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = ${PATHS.small} {
      default_type text/plain;
      return 200 ${JSON.stringify(SMALL_BODY)};
    }
    location = ${PATHS.large} { root ${www}; }
  }
}
`;
}

/** nginx as the proxy: one worker, upstream keep-alive, berth's headers, a buffered access log. */
export function proxyConfig(dir: string, port: number, backendPort: number): string {
  return `${common(dir)}
http {
${temps(dir)}
  # As berth's access.log line: time, client, host, request, status, bytes, upstream, duration, id.
  log_format berthlike '$time_iso8601 $remote_addr "$http_host" "$request" $status $body_bytes_sent $upstream_addr $request_time $request_id';
  access_log ${dir}/access.log berthlike buffer=64k flush=1s;
  # berth has no per-connection request limit: nor does this (nginx's default closes after 1000).
  keepalive_requests 10000000;
  keepalive_timeout 15s;
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header Forwarded "for=$remote_addr;host=$http_host;proto=$scheme";
      proxy_set_header X-Request-Id $request_id;
    }
  }
}
`;
}

/** berth as the proxy: one site forwarding everything to the backend. berth wants a service. */
export function berthConfig(port: number, backendPort: number): string {
  return `# Written by bench/proxy.ts. berth requires a service; this one only sleeps.
services:
  idle:
    command: sleep 1000000
sites:
  - listen: "127.0.0.1:${port}"
    routes:
      - path: /
        url: http://127.0.0.1:${backendPort}
`;
}
