/**
 * A STAND-IN for the Telnyx API v2 (number search, orders and phone numbers only), for tests.
 * Written from Telnyx's public API reference: JSON bodies, `Authorization: Bearer <key>`, every
 * success 200 `{data}` (DELETE answers the deleted record), `filter[...]` and `page[number]` /
 * `page[size]` query keys, paged lists with `meta{page_number, page_size, total_pages,
 * total_results}`, number orders that answer `pending` and settle on a later GET, errors as
 * `{errors:[{code, title, detail}]}` with string codes (10009 auth, 10005 not found). It is not
 * Telnyx.
 */
import crypto from 'node:crypto';
import { StandinHttp, type RecordedRequest, type StandinReply } from './standin-http.ts';

export interface TelnyxStandinNumber {
  id: string;
  phone_number: string;
  connection_id: string | null;
  messaging_profile_id: string | null;
  status: string;
}

interface Order {
  id: string;
  phone_number: string;
  connection_id: string | null;
  status: 'pending' | 'success' | 'failure';
}

export class TelnyxStandin {
  readonly http = new StandinHttp((request) => this.handle(request));
  readonly apiKey = `KEY${crypto.randomBytes(16).toString('hex').toUpperCase()}`;
  readonly available = new Set<string>();
  readonly owned = new Map<string, TelnyxStandinNumber>();
  private readonly orders = new Map<string, Order>();
  private nextId = 1_293_384_261_075_731_000n;

  start(): Promise<string> {
    return this.http.start();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  offer(...numbers: string[]): void {
    for (const number of numbers) this.available.add(number);
  }

  own(phoneNumber: string, messaging = false): TelnyxStandinNumber {
    const number = { id: String(this.nextId++), phone_number: phoneNumber, connection_id: null, messaging_profile_id: messaging ? crypto.randomUUID() : null, status: 'active' };
    this.owned.set(number.id, number);
    return number;
  }

  private handle(request: RecordedRequest): StandinReply {
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) {
      return error(401, '10009', 'Authentication failed', 'The API key is missing or invalid.');
    }
    let match: RegExpExecArray | null;
    if (request.method === 'GET' && request.path === '/v2/available_phone_numbers') return this.search(request.query);
    if (request.method === 'POST' && request.path === '/v2/number_orders') return this.order(JSON.parse(request.body || '{}'));
    if (request.method === 'GET' && (match = /^\/v2\/number_orders\/([\w-]+)$/.exec(request.path))) {
      const order = this.orders.get(match[1]!);
      if (!order) return error(404, '10005', 'Resource not found', 'The requested resource was not found.');
      // Settles on the first look after creation, so a client has to poll.
      if (order.status === 'pending') this.settle(order);
      return { status: 200, body: { data: this.orderRecord(order) } };
    }
    if (request.method === 'GET' && request.path === '/v2/phone_numbers') return this.list(request.query);
    if (request.method === 'DELETE' && (match = /^\/v2\/phone_numbers\/(\d+)$/.exec(request.path))) {
      const number = this.owned.get(match[1]!);
      if (!number) return error(404, '10005', 'Resource not found', 'The requested resource was not found.');
      this.owned.delete(number.id);
      return { status: 200, body: { data: { ...this.numberRecord(number), status: 'deleted' } } };
    }
    return error(404, '10005', 'Resource not found', `no route ${request.method} ${request.path}`);
  }

  private search(query: URLSearchParams): StandinReply {
    const country = query.get('filter[country_code]');
    if (!country) return error(400, '10004', 'Missing required parameter', 'filter[country_code] is required', 'filter[country_code]');
    const ndc = query.get('filter[national_destination_code]');
    const type = query.get('filter[phone_number_type]');
    const limit = Number(query.get('filter[limit]') ?? 100);
    const matches = [...this.available]
      .filter((number) => country !== 'US' || number.startsWith('+1'))
      .filter((number) => !ndc || number.startsWith(`+1${ndc}`))
      .filter((number) => !type || (type === 'toll_free') === /^\+18(00|33|44|55|66|77|88)/.test(number))
      .slice(0, limit);
    return {
      status: 200,
      body: {
        data: matches.map((number) => ({
          record_type: 'available_phone_number',
          phone_number: number,
          features: [{ name: 'voice' }, { name: 'sms' }],
          region_information: [{ region_type: 'country_code', region_name: country }],
          cost_information: { upfront_cost: '1.00', monthly_cost: '1.00', currency: 'USD' },
          best_effort: false,
          quickship: true,
          reservable: true,
        })),
        meta: { total_results: matches.length, best_effort_results: 0 },
      },
    };
  }

  private order(body: { phone_numbers?: Array<{ phone_number?: string }>; connection_id?: string }): StandinReply {
    const phoneNumber = body.phone_numbers?.[0]?.phone_number;
    if (!phoneNumber) return error(400, '10004', 'Missing required parameter', 'phone_numbers is required', '/phone_numbers');
    if (!this.available.has(phoneNumber)) return error(422, '10015', 'Bad Request', `${phoneNumber} is not available`, '/phone_numbers/0/phone_number');
    this.available.delete(phoneNumber);
    const order: Order = { id: crypto.randomUUID(), phone_number: phoneNumber, connection_id: body.connection_id ?? null, status: 'pending' };
    this.orders.set(order.id, order);
    return { status: 200, body: { data: this.orderRecord(order) } };
  }

  private settle(order: Order): void {
    order.status = 'success';
    const number = { id: String(this.nextId++), phone_number: order.phone_number, connection_id: order.connection_id, messaging_profile_id: null, status: 'active' };
    this.owned.set(number.id, number);
  }

  private list(query: URLSearchParams): StandinReply {
    const size = Number(query.get('page[size]') ?? 20);
    const pageNumber = Number(query.get('page[number]') ?? 1);
    const filter = query.get('filter[phone_number]');
    const all = [...this.owned.values()].filter((number) => !filter || number.phone_number === filter);
    const totalPages = Math.max(1, Math.ceil(all.length / size));
    return {
      status: 200,
      body: {
        data: all.slice((pageNumber - 1) * size, pageNumber * size).map((number) => this.numberRecord(number)),
        meta: { page_number: pageNumber, page_size: size, total_pages: totalPages, total_results: all.length },
      },
    };
  }

  private orderRecord(order: Order) {
    return {
      id: order.id,
      record_type: 'number_order',
      status: order.status,
      phone_numbers_count: 1,
      connection_id: order.connection_id,
      requirements_met: true,
      phone_numbers: [{ id: crypto.randomUUID(), record_type: 'number_order_phone_number', phone_number: order.phone_number, status: order.status, requirements_met: true }],
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    };
  }

  private numberRecord(number: TelnyxStandinNumber) {
    return {
      id: number.id,
      record_type: 'phone_number',
      phone_number: number.phone_number,
      status: number.status,
      connection_id: number.connection_id,
      messaging_profile_id: number.messaging_profile_id,
      tags: [],
      purchased_at: new Date().toISOString(),
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    };
  }
}

function error(status: number, code: string, title: string, detail: string, pointer?: string): StandinReply {
  return { status, body: { errors: [{ code, title, detail, ...(pointer ? { source: { pointer } } : {}) }] }, headers: { 'x-should-retry': 'false' } };
}
