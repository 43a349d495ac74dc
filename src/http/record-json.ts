import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { PhoneNumber } from '../services/phone-numbers/model.ts';

const compilerFor = SerializerSelector()({}, undefined);

/**
 * A dialect's response JSON of a phone-number record, written once per record version. The
 * service hands out frozen records, one object per version (RecentRecords), so the bytes are kept
 * beside the object they were written from and go when it goes: an unchanged record is never
 * serialized twice, and a list page is the held bytes joined. Written by the serializer Fastify
 * compiles for a response schema (fast-json-stringify, from the same schema and options), so the
 * bytes are the route's own (test/http/record-json.test.ts); re-serializing 50 records was most of
 * a list page's CPU (BENCHMARKS.md).
 */
export class RecordJson {
  private readonly written = new WeakMap<PhoneNumber, string>();
  private serialize: ((wire: unknown) => string) | undefined;

  constructor(
    private readonly schema: TSchema,
    private readonly toWire: (record: PhoneNumber) => unknown,
  ) {}

  of(record: PhoneNumber): string {
    let json = this.written.get(record);
    if (json === undefined) {
      // Compiled on first use, as the routes' serializers are (src/http/app.ts).
      this.serialize ??= compilerFor({ schema: this.schema } as never) as (wire: unknown) => string;
      json = this.serialize(this.toWire(record));
      // Only a frozen record stays that version for good; any other may still be changed in place.
      if (Object.isFrozen(record)) this.written.set(record, json);
    }
    return json;
  }

  /** The records as the elements of a JSON array: comma-separated, without the brackets. */
  elements(records: readonly PhoneNumber[]): string {
    let json = '';
    for (let index = 0; index < records.length; index++) json += index === 0 ? this.of(records[index]!) : `,${this.of(records[index]!)}`;
    return json;
  }
}

/** Sends JSON written already (Fastify sends a string of a JSON type as it is, with no serializer). */
export function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}
