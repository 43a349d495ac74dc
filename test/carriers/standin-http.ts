/**
 * The HTTP plumbing shared by the carrier stand-ins (test/carriers/*-standin.ts): a server on
 * 127.0.0.1, port 0, that records every request it gets and can be told to fail or stall.
 * These are STAND-INS written from the carriers' public API references for tests; they are not
 * Twilio or Telnyx and implement only the endpoints Switchboard uses.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StandinReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A planned misbehaviour: the next `times` requests matching `method` and `path` get `reply` (or never an answer). */
export interface Fault {
  method: string;
  path: RegExp;
  times: number;
  reply?: StandinReply;
  /** Answer only after this long (a carrier timeout when longer than the client waits). */
  delayMs?: number;
}

export class StandinHttp {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: Fault[] = [];
  private server: http.Server | null = null;
  url = '';

  constructor(private readonly handle: (request: RecordedRequest) => StandinReply) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://standin');
        const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(request);
        const fault = this.faults.find((f) => f.times > 0 && f.method === request.method && f.path.test(request.path));
        if (fault) fault.times--;
        const reply = fault?.reply ?? (fault?.delayMs ? null : this.handle(request));
        const send = () => {
          if (res.destroyed) return;
          const answer = reply ?? this.handle(request);
          const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
          res.writeHead(answer.status, { ...(text ? { 'content-type': 'application/json' } : {}), ...answer.headers });
          res.end(text);
        };
        if (fault?.delayMs) setTimeout(send, fault.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  fail(fault: Fault): void {
    this.faults.push(fault);
  }

  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
