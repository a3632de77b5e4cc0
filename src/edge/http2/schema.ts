import { z } from 'zod';

/**
 * server.extraListeners[].http2: HTTP/2 on a data listener (docs/edge.md#http2). On a TLS listener
 * it is on by default (ALPN offers h2 then http/1.1); on a plain listener only with `h2c: true`
 * (prior knowledge: the client starts with the HTTP/2 preface, there is no Upgrade: h2c).
 */
export const http2Schema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Offer h2 by ALPN on a TLS listener (HTTP/1.1 stays available). false: HTTP/1.1 only.'),
    h2c: z
      .boolean()
      .default(false)
      .describe('Plain listener: also accept cleartext HTTP/2 with prior knowledge (the PRI * HTTP/2.0 preface).'),
    maxConcurrentStreams: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(100)
      .describe('SETTINGS_MAX_CONCURRENT_STREAMS: open streams per connection; more are refused (RST_STREAM).'),
    rapidReset: z
      .strictObject({
        maxResets: z.number().int().min(1).default(100).describe('Streams a client may reset within windowMs.'),
        windowMs: z.number().int().min(1).default(10000),
      })
      .default({ maxResets: 100, windowMs: 10000 })
      .describe('CVE-2023-44487: beyond maxResets client resets in windowMs, GOAWAY ENHANCE_YOUR_CALM and close.'),
  })
  .describe('HTTP/2 on this listener (docs/edge.md#http2).');

export type Http2Config = z.infer<typeof http2Schema>;
