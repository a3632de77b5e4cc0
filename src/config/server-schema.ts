import { z } from 'zod';

/** server.limits and server.timeouts: the data listener's bounds against hostile clients (docs/security.md). */

export const serverLimitsSchema = z
  .strictObject({
    maxConnections: z
      .number()
      .int()
      .min(1)
      .default(10000)
      .describe(
        'Open client connections per process at most (Node server.maxConnections); a connection beyond it is closed at accept. ' +
          'nginx: worker_connections 512 per worker.',
      ),
    maxConnectionsPerIp: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Open connections per peer address at most (0: no cap); beyond it the connection gets 503 and is closed, like nginx limit_conn. ' +
          'Counts the TCP peer, so leave it off behind a load balancer.',
      ),
    maxBodyBytes: z
      .number()
      .int()
      .min(0)
      .default(10 * 1024 * 1024)
      .describe('Largest request body accepted; larger gets 413 REQUEST_TOO_LARGE. AWS: 10 MB.'),
    maxJsonDepth: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(64)
      .describe(
        'Deepest [ / { nesting accepted in a body Portico parses (request validation, WAF jsonBody, the admin API), ' +
          'checked by one linear scan before the parse. Deeper: 400 BAD_REQUEST_BODY "Invalid request body" on a validated route ' +
          "(as AWS), invalid JSON for the WAF (its invalidFallbackBehavior), 400 on the admin API. At most 1000 so the validator's recursion stays within the stack.",
      ),
    maxHeaderBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(10240)
      .describe('Largest request header section; larger gets 431. AWS: 10,240 bytes.'),
    requestBufferBytes: z
      .number()
      .int()
      .min(0)
      .default(65536)
      .describe(
        'Request bodies up to this size are read whole before an upstream connection is taken, so a slow ' +
          'upload never holds one (nginx proxy_request_buffering). Larger bodies stream. 0: always stream.',
      ),
    streamingUploadsPerOrigin: z
      .number()
      .int()
      .min(1)
      .default(64)
      .describe(
        'Upstream connections per origin (or named upstream) that streaming uploads (bodies over ' +
          'requestBufferBytes) may hold at once; more wait, without their body being read, up to the integration timeout (then 504).',
      ),
    responseBufferBytes: z
      .number()
      .int()
      .min(0)
      .default(1024 * 1024)
      .describe(
        'Response bytes read ahead of a slow client per connection. A response that fits is read whole and ' +
          'its upstream connection released at once; past the bound the upstream is paused (nginx proxy_buffers).',
      ),
    responseBufferTotalBytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024)
      .describe(
        'Response bytes read ahead of slow clients over all connections together. Past it, a response its client ' +
          'cannot take at once is paused (holding one of slowReadersPerOrigin) or cut, so memory stays bounded however many readers there are.',
      ),
    slowReadersPerOrigin: z
      .number()
      .int()
      .min(1)
      .default(64)
      .describe(
        'Upstream connections per origin (or named upstream) that responses paused for a slow client may hold; a ' +
          'reader that fills its responseBufferBytes beyond that is cut, so slow readers never take the whole pool.',
      ),
  })
  .prefault({})
  .describe('Request size limits.');

export const serverTimeoutsSchema = z
  .strictObject({
    headersMs: z.number().int().min(100).default(10000).describe('Time a client has to send the request headers.'),
    requestMs: z
      .number()
      .int()
      .min(100)
      .default(300000)
      .describe(
        'Time a client has to send the whole request, headers and body, from its first byte; 408 past it ' +
          '(Node requestTimeout, checked every 500 ms). It runs while Portico itself waits too.',
      ),
    bodyIdleMs: z
      .number()
      .int()
      .min(0)
      .default(60000)
      .describe(
        'Longest wait for the next bytes of a request body while Portico reads it; 408 and close past it ' +
          '(nginx client_body_timeout). 0: off.',
      ),
    bodyMinBytesPerSecond: z
      .number()
      .min(0)
      .default(240)
      .describe(
        'Slowest average data rate of a request body, measured while Portico reads it, after bodyRateGraceMs; ' +
          'slower gets 408 and close (Kestrel MinRequestBodyDataRate). 0: off.',
      ),
    bodyRateGraceMs: z
      .number()
      .int()
      .min(0)
      .default(5000)
      .describe('Reading time before bodyMinBytesPerSecond applies.'),
    sendMs: z
      .number()
      .int()
      .min(0)
      .default(60000)
      .describe(
        'Longest time a response may wait with bytes pending and no write to the client completing; the ' +
          'connection is then closed (nginx send_timeout). 0: off.',
      ),
    keepAliveMs: z
      .number()
      .int()
      .min(0)
      .default(65000)
      .describe(
        'Idle keep-alive time for client connections. Keep it above the idle timeout of a load balancer in front.',
      ),
    websocketIdleMs: z
      .number()
      .int()
      .min(0)
      .default(300000)
      .describe(
        'An upgraded (WebSocket) connection with no byte in either direction for this long is closed, both sides. 0: off.',
      ),
    drainMs: z
      .number()
      .int()
      .min(0)
      .default(30000)
      .describe('On SIGTERM, how long in-flight requests may run before connections are closed.'),
  })
  .prefault({})
  .describe('Client-side timeouts.');
