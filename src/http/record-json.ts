import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { PhoneNumber } from '../services/phone-numbers/model.ts';

const compilerFor = SerializerSelector()({}, undefined);

/**
 * A dialect's response JSON of a phone-number record, written once per record version. The
 * service hands out frozen records, one object per version (RecentRecords), so the bytes are kept
 * beside the object they were written from and go when it goes: an unchanged record is never
 * serialized twice, and a list page is the held bytes copied together. Written by the serializer
 * Fastify compiles for a response schema (fast-json-stringify, from the same schema and options),
 * so the bytes are the route's own (test/http/record-json.test.ts). Held as UTF-8 buffers, not
 * strings: the serializer's output is a rope of small pieces, and a page joined from 50 of them
 * cost more to measure and encode on the way out than the serializing it saved (BENCHMARKS.md).
 */
export class RecordJson {
  private readonly written = new WeakMap<PhoneNumber, Buffer>();
  private serialize: ((wire: unknown) => string) | undefined;

  constructor(
    private readonly schema: TSchema,
    private readonly toWire: (record: PhoneNumber) => unknown,
  ) {}

  of(record: PhoneNumber): Buffer {
    let json = this.written.get(record);
    if (json === undefined) {
      // Compiled on first use, as the routes' serializers are (src/http/app.ts).
      this.serialize ??= compilerFor({ schema: this.schema } as never) as (wire: unknown) => string;
      json = Buffer.from(this.serialize(this.toWire(record)));
      // Only a frozen record stays that version for good; any other may still be changed in place.
      if (Object.isFrozen(record)) this.written.set(record, json);
    }
    return json;
  }

  /** `head`, the records as the elements of a JSON array (comma-separated, no brackets), then `tail`. */
  around(head: string, records: readonly PhoneNumber[], tail: string): Buffer {
    const parts = new Array<Buffer>(records.length * 2 + 1);
    parts[0] = Buffer.from(head);
    for (let index = 0; index < records.length; index++) {
      parts[index * 2 + 1] = index === 0 ? EMPTY : COMMA;
      parts[index * 2 + 2] = this.of(records[index]!);
    }
    parts.push(Buffer.from(tail));
    return Buffer.concat(parts);
  }
}

const EMPTY = Buffer.alloc(0);
const COMMA = Buffer.from(',');

/** Sends JSON written already (Fastify sends a buffer with its content type as it is, with no serializer). */
export function sendJson(reply: FastifyReply, json: Buffer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}
