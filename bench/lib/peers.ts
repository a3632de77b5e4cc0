// The configs of the native processes the bench starts, as pure functions (test/bench/peers.test.ts checks them
// with the binaries themselves: `nginx -t`, `caddy adapt`): the nginx `return 200` backend of the proxy
// scenarios, nginx as a proxy (plain and TLS, one process), and Caddy as the Go peer.

/** The body every backend answers `GET /api/greeting` with (the Node backend's greeting has the same content). */
export const GREETING_BODY = '{"id":1,"content":"Hello, World!"}';

/** The temp paths nginx insists on, all in its own directory. */
function nginxHead(dir: string): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp;
  fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  keepalive_requests 1000000;
  keepalive_timeout 65s;`;
}

/** nginx's proxy directives towards an upstream block with keep-alive, request bodies streamed. */
function proxyTo(name: string): string {
  return `      proxy_pass http://${name};
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;`;
}

const upstream = (name: string, port: number) =>
  `  upstream ${name} { server 127.0.0.1:${port}; keepalive 64; keepalive_requests 1000000; keepalive_timeout 60s; }`;

/**
 * The backend of the proxy scenarios: nginx, 1 worker, answering `GET /api/greeting` itself (`return 200`), so it
 * is never what limits a proxy in front of it (bench/README.md gives the evidence: `direct`'s RPS against every
 * proxy's). `POST /api/upload` it streams on to the Node backend (`bench/backend.ts`), which reads the 1 MB body
 * and answers its size: every proxy still has one backend URL.
 */
export function nginxBackendConf(dir: string, port: number, uploadPort: number): string {
  return `${nginxHead(dir)}
  client_max_body_size 10m;
${upstream('upload', uploadPort)}
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /api/greeting {
      default_type application/json;
      return 200 '${GREETING_BODY}';
    }
    location = /api/upload {
${proxyTo('upload')}
    }
    location / { return 404; }
  }
}
`;
}

export interface NginxProxyOptions {
  dir: string;
  port: number;
  backendPort: number;
  /** A second, TLS listener on the same server block (the HTTPS scenarios), with this certificate. */
  tls?: { port: number; cert: string; key: string };
}

/**
 * nginx `proxy_pass` with upstream keep-alive, 1 worker, streaming request bodies (`proxy_request_buffering off`)
 * for the POST scenario. With `tls`, the same server also listens with TLS (TLS 1.2 and 1.3, the certificate
 * Portico's TLS listener serves), so both HTTPS rows divide by the same process.
 */
export function nginxProxyConf(o: NginxProxyOptions): string {
  const tls = o.tls
    ? `
    listen 127.0.0.1:${o.tls.port} ssl backlog=4096;
    ssl_certificate ${o.tls.cert};
    ssl_certificate_key ${o.tls.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;`
    : '';
  return `${nginxHead(o.dir)}
  client_max_body_size 10m;
${upstream('backend', o.backendPort)}
  server {
    listen 127.0.0.1:${o.port} backlog=4096;${tls}
    location ~ ^/api/(greeting|upload)$ {
${proxyTo('backend')}
    }
    location / { return 404; }
  }
}
`;
}

export interface CaddyOptions {
  port: number;
  backendPort: number;
}

/**
 * Caddy as the Go peer: `reverse_proxy` to the backend with keep-alive (64 idle connections kept per host, as
 * nginx's `keepalive 64`), admin endpoint off, no automatic HTTPS, no access log, bound to 127.0.0.1. The bench
 * runs it with GOMAXPROCS=1 on the proxies' CPU, and its config and data directories in the scratch dir.
 */
export function caddyfile(o: CaddyOptions): string {
  return `{
	admin off
	auto_https off
	skip_install_trust
	log {
		level ERROR
	}
}

http://127.0.0.1:${o.port} {
	bind 127.0.0.1
	@api path /api/greeting /api/upload
	handle @api {
		reverse_proxy 127.0.0.1:${o.backendPort} {
			transport http {
				keepalive 60s
				keepalive_idle_conns 64
				keepalive_idle_conns_per_host 64
			}
		}
	}
	handle {
		respond 404
	}
}
`;
}
