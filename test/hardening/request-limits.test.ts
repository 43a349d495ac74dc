/**
 * Request limits on a real listening socket: body and header caps, slow and stalled clients.
 * Every case ends in a 4xx or a closed connection within a bounded time, never a hang. The
 * harness lowers the timeouts so the file stays fast.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';

const LIMITS = {
  BODY_LIMIT_BYTES: 65_536,
  MAX_HEADER_SIZE_BYTES: 4096,
  HEADERS_TIMEOUT_MS: 600,
  REQUEST_TIMEOUT_MS: 1500,
  CONNECTION_TIMEOUT_MS: 3000,
  KEEP_ALIVE_TIMEOUT_MS: 700,
};

let h: Harness;
let port: number;
let key: string;

beforeAll(async () => {
  h = await createHarness({ env: { ...Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])), RATE_LIMIT_PER_MINUTE: '0' } });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as net.AddressInfo).port;
  key = await (await h.workspace()).key();
});
afterAll(async () => h.close());

interface Outcome {
  /** The status line's code, if any response came. */
  status: number | null;
  /** The server closed the connection. */
  closed: boolean;
  elapsedMs: number;
}

/**
 * Opens a raw socket, lets `drive` write to it, and reports the first response status and
 * whether the server closed the connection; gives up (a hang) after `giveUpMs`.
 */
function rawExchange(drive: (socket: net.Socket) => void, giveUpMs = 8000): Promise<Outcome & { hung: boolean }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let done = false;
    const finish = (closed: boolean, hung = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      socket.destroy();
      resolve({ status: match ? Number(match[1]) : null, closed, hung, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false, true), giveUpMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => drive(socket));
  });
}

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

describe('caps', () => {
  test('a body over BODY_LIMIT_BYTES is 413, announced or streamed', async () => {
    const big = JSON.stringify({ phone_number: '+14157770100', nickname: 'x'.repeat(LIMITS.BODY_LIMIT_BYTES) });
    const announced = await h.request('POST', '/v1/phone-numbers', { key, json: JSON.parse(big) });
    expect(announced.status).toBe(413);
    expect(announced.json().code).toBe('PAYLOAD_TOO_LARGE');

    const chunked = await rawExchange((socket) => {
      socket.write(head(['POST /v1/phone-numbers HTTP/1.1', 'Host: x', `Authorization: Bearer ${key}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked']));
      for (let i = 0; i < 10; i++) {
        const piece = 'x'.repeat(10_000);
        socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
      }
    });
    expect(chunked.hung).toBe(false);
    expect(chunked.status).toBe(413);
  });

  test('a Content-Length over the cap is refused before the body is read', async () => {
    const outcome = await rawExchange((socket) => {
      socket.write(head(['POST /v1/phone-numbers HTTP/1.1', 'Host: x', `Authorization: Bearer ${key}`, 'Content-Type: application/json', `Content-Length: ${100 * 1024 * 1024}`]));
      socket.write('{"phone_number":');
    });
    expect(outcome.hung).toBe(false);
    expect(outcome.status).toBe(413);
    expect(outcome.elapsedMs).toBeLessThan(LIMITS.REQUEST_TIMEOUT_MS);
  });

  test('headers over MAX_HEADER_SIZE_BYTES are 431 and the connection is closed', async () => {
    const outcome = await rawExchange((socket) => {
      socket.write(head(['GET /healthz HTTP/1.1', 'Host: x', `X-Padding: ${'a'.repeat(LIMITS.MAX_HEADER_SIZE_BYTES + 100)}`]));
    });
    expect(outcome.hung).toBe(false);
    expect(outcome.status).toBe(431);
    expect(outcome.closed).toBe(true);
  });

  test('an overlong path parameter is 414, and a malformed request line 400', async () => {
    expect((await h.request('GET', `/v1/phone-numbers/${'1'.repeat(300)}`, { key })).status).toBe(414);
    const garbage = await rawExchange((socket) => socket.write('GARBAGE\r\n\r\n'));
    expect(garbage.hung).toBe(false);
    expect(garbage.status).toBe(400);
  });
});

describe('slow and stalled clients', () => {
  // Each case waits out a server timeout on its own socket; run side by side, the file waits once.
  describe.concurrent('each on its own connection, at the same time', () => {
    test('headers sent a byte at a time (slow loris) are cut off after HEADERS_TIMEOUT_MS', async ({ expect }) => {
      let interval: NodeJS.Timeout | undefined;
      const outcome = await rawExchange((socket) => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
        interval = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
      });
      clearInterval(interval);
      expect(outcome.hung).toBe(false);
      expect(outcome.closed).toBe(true);
      expect([408, null]).toContain(outcome.status);
      expect(outcome.elapsedMs).toBeLessThan(LIMITS.HEADERS_TIMEOUT_MS + 1500);
    });

    test('a body that stalls half way is cut off after REQUEST_TIMEOUT_MS, and nothing is stored', async ({ expect }) => {
      const body = JSON.stringify({ phone_number: '+14157770177', nickname: 'stalled' });
      const outcome = await rawExchange((socket) => {
        socket.write(head(['POST /v1/phone-numbers HTTP/1.1', 'Host: x', `Authorization: Bearer ${key}`, 'Content-Type: application/json', `Content-Length: ${body.length}`]));
        socket.write(body.slice(0, 10));
      });
      expect(outcome.hung).toBe(false);
      expect(outcome.closed).toBe(true);
      expect([408, 400, null]).toContain(outcome.status);
      expect(outcome.elapsedMs).toBeLessThan(LIMITS.REQUEST_TIMEOUT_MS + 1500);
      expect((await h.request('GET', '/v1/phone-numbers/+14157770177', { key })).status).toBe(404);
    });

    test('a connection that never sends anything is closed', async ({ expect }) => {
      const outcome = await rawExchange(() => undefined);
      expect(outcome.hung).toBe(false);
      expect(outcome.closed).toBe(true);
      expect(outcome.elapsedMs).toBeLessThan(LIMITS.CONNECTION_TIMEOUT_MS + 1500);
    });

    test('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async ({ expect }) => {
      let firstResponseAt = 0;
      const outcome = await rawExchange((socket) => {
        socket.once('data', () => (firstResponseAt = Date.now()));
        socket.write(head(['GET /healthz HTTP/1.1', 'Host: x', 'Connection: keep-alive']));
      });
      expect(outcome.status).toBe(200);
      expect(outcome.closed).toBe(true);
      expect(Date.now() - firstResponseAt).toBeLessThan(LIMITS.KEEP_ALIVE_TIMEOUT_MS + 1500);
    });
  });

  test('the server keeps serving normal requests afterwards', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/phone-numbers`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
  });
});
