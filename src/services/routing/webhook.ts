import crypto from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** Why a webhook answer was not used; routing then falls back to the configured binding. */
export type WebhookFailure = 'timeout' | 'network' | 'http_status' | 'invalid_response' | 'target_refused';

export type WebhookOutcome = { ok: true; body: unknown } | { ok: false; failure: WebhookFailure; detail: string };

export interface WebhookOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** Retell's signature: `v=<ms>,d=<hex HMAC-SHA256(secret, body + ms)>`, verifiable with `Retell.verify`. */
export function signatureOf(body: string, secret: string, timestampMs: number): string {
  const digest = crypto.createHmac('sha256', secret).update(body + String(timestampMs)).digest('hex');
  return `v=${timestampMs},d=${digest}`;
}

// Addresses a webhook must not reach unless the operator allows it: loopback, RFC 1918,
// CGNAT, link-local (cloud metadata), unique-local, multicast, unspecified and the like.
const blocked = new net.BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = net.isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

class RefusedTarget extends Error {}

/**
 * Checks every address at connect time (inside the socket's DNS lookup), so a name that
 * resolves to a public address when checked and a private one when connecting (DNS
 * rebinding) is still refused.
 */
function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses;
      const refused = !allowPrivate && list.some((entry) => isPrivateAddress(entry.address));
      if (refused || list.length === 0) {
        return callback(new RefusedTarget(`${hostname} resolves to a private or loopback address`), '', 4);
      }
      if ((options).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** POSTs a signed JSON body and parses the JSON answer; never throws. */
export function postWebhook(url: string, body: string, signature: string, options: WebhookOptions): Promise<WebhookOutcome> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, failure: 'target_refused', detail: 'not a URL' });
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !options.allowPrivateTargets && isPrivateAddress(host)) {
    return Promise.resolve({ ok: false, failure: 'target_refused', detail: `${host} is a private or loopback address` });
  }
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: WebhookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        lookup: guardedLookup(options.allowPrivateTargets),
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Switchboard-Routing',
          'x-retell-signature': signature,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) finish({ ok: false, failure: 'invalid_response', detail: 'response larger than 64 KiB' });
          else chunks.push(chunk);
        });
        response.on('error', (error) => finish({ ok: false, failure: 'network', detail: error.message }));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status > 299) return finish({ ok: false, failure: 'http_status', detail: `HTTP ${status}` });
          const text = Buffer.concat(chunks).toString('utf8').trim();
          if (text === '') return finish({ ok: true, body: {} });
          try {
            finish({ ok: true, body: JSON.parse(text) as unknown });
          } catch {
            finish({ ok: false, failure: 'invalid_response', detail: 'response is not JSON' });
          }
        });
      },
    );
    const timer = setTimeout(
      () => finish({ ok: false, failure: 'timeout', detail: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    request.on('error', (error) =>
      finish(
        error instanceof RefusedTarget
          ? { ok: false, failure: 'target_refused', detail: error.message }
          : { ok: false, failure: 'network', detail: error.message },
      ),
    );
    request.end(body);
  });
}
