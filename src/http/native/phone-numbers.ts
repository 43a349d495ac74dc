import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { LoopBudget } from '../../services/loop-budget.ts';
import type { PhoneNumber } from '../../services/phone-numbers/model.ts';
import type { DecodedImport, PhoneNumberService } from '../../services/phone-numbers/service.ts';
import { CountryCode, ListLimit, Nullable } from '../schemas/common.ts';
import { NumberEventSchema, PhoneNumberChangesSchema, PhoneNumberImportSchema, PhoneNumberSchema } from '../schemas/phone-number.ts';
import { ERROR_STATUS } from '../problem.ts';
import { RecordJson, sendJson } from '../record-json.ts';
import { bodyFingerprints, IDEMPOTENCY_HEADER } from '../idempotency.ts';
import { deferredBodies, deferredUrlIssues, registerJsonBodies } from '../json-body.ts';
import { validatedBodies } from '../validators.ts';
import { BulkImportBody, DEFER_BULK_BODY_BYTES, type BulkBodyRequest } from './bulk-body.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from './dialect.ts';

const IdOrNumber = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'The number\'s id, or the number itself (`+14157774444`, `%2B14157774444` or `14157774444`)' }),
});

const ListQuery = Type.Object(
  {
    limit: ListLimit,
    cursor: Type.Optional(Type.String({ maxLength: 200, description: '`next_cursor` of the previous page' })),
    status: Type.Optional(Type.Union(['pending', 'active', 'failed', 'inactive'].map((s) => Type.Literal(s)))),
    country: Type.Optional(CountryCode),
    capability: Type.Optional(Type.Union([Type.Literal('voice'), Type.Literal('sms')])),
    agent_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Numbers bound to this agent in any of the four lists' })),
    available: Type.Optional(Type.Boolean({ description: 'true: numbers without an inbound agent; false: numbers with one' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Case-insensitive text in the number or nickname' })),
  },
  { additionalProperties: false },
);

const BulkResult = Type.Object({
  index: Type.Integer(),
  status: Type.Union([Type.Literal('created'), Type.Literal('failed')]),
  phone_number: Type.Optional(Type.Ref(PhoneNumberSchema)),
  error: Type.Optional(
    Type.Object({
      status: Type.Integer(),
      code: Type.String(),
      detail: Type.String(),
      errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    }),
  ),
});

/** A list page (exported for the test that pins `sendJson`'s bytes to this schema's serializer). */
export const ListResponse = Type.Object({ data: Type.Array(Type.Ref(PhoneNumberSchema)), has_more: Type.Boolean(), next_cursor: Nullable(Type.String()) });

const BulkResponse = Type.Object({ created: Type.Integer(), failed: Type.Integer(), data: Type.Array(BulkResult) });

/** Every property name the schemas declare, at any depth (a `$ref` is followed only by naming its target too). */
function propertyNames(...schemas: TSchema[]): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    const properties = (node as { properties?: Record<string, unknown> }).properties;
    if (properties && typeof properties === 'object') for (const name of Object.keys(properties)) names.add(name);
    for (const child of Object.values(node)) visit(child);
  };
  schemas.forEach(visit);
  return names;
}

const bulkResponseNames = propertyNames(BulkResponse, PhoneNumberSchema);

/** Records encoded per slice of the bulk response: one short piece of work each. */
const RESPONSE_SLICE = 250;

/**
 * The bulk response as JSON bytes, byte for byte what the response schema's serializer writes for
 * it (records carry only schema fields; `version`, which the schema leaves out, is dropped like any
 * undeclared property). Fastify's fast-json-stringify spent ≈ 30-50 µs of CPU per record on
 * 10,000 records of nullable unions, more than the import itself; JSON.stringify writes the same
 * bytes in ≈ 13 µs (see BENCHMARKS.md). Encoded a slice of records at a time, giving the event
 * loop a turn between slices, into bytes that are then copied together, a slice at a time too:
 * one 10 MB string, joined and then encoded for the socket in one piece, stalled the loop for
 * 30-500 ms.
 */
async function bulkResponseJson(body: Static<typeof BulkResponse>): Promise<Buffer> {
  const budget = new LoopBudget();
  const chunks: Buffer[] = [Buffer.from(`{"created":${body.created},"failed":${body.failed},"data":[`)];
  for (let start = 0; start < body.data.length; start += RESPONSE_SLICE) {
    await budget.breathe();
    const items = body.data.slice(start, start + RESPONSE_SLICE).map((item) => JSON.stringify(item, keepDeclared));
    chunks.push(Buffer.from(start === 0 ? items.join(',') : `,${items.join(',')}`));
  }
  chunks.push(Buffer.from(']}'));
  // Copied together a slice at a time too: one Buffer.concat of ≈ 13 MB was a single stall of
  // 80-120 ms of this thread's running time on a loaded machine (≈ 10 ms on an idle one).
  const json = Buffer.allocUnsafe(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    await budget.breathe();
    offset += chunk.copy(json, offset);
  }
  return json;
}

function keepDeclared(this: unknown, key: string, value: unknown): unknown {
  return key === '' || Array.isArray(this) || bulkResponseNames.has(key) ? value : undefined;
}

export function etagOf(record: PhoneNumber): string {
  return `"${record.version}"`;
}

/** Parses `If-Match` into the version it names; `*` means any. */
function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,12})"\s*$/.exec(header);
  // An unparseable tag can never match the current one.
  return match ? Number(match[1]) : -1;
}

/** The native record's response bytes, written once per version (see RecordJson). */
const numberJson = new RecordJson(PhoneNumberSchema, (record) => record);

function sendNumber(reply: FastifyReply, record: PhoneNumber, status = 200) {
  return reply.code(status).header('etag', etagOf(record)).send(record);
}

export const phoneNumberRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const numbers = services.phoneNumbers;
  const tags = ['phone-numbers'];
  app.addSchema(PhoneNumberSchema);

  app.post(
    '/phone-numbers',
    {
      config: { idempotent: true },
      schema: {
        tags,
        operationId: 'importPhoneNumber',
        summary: 'Import a phone number',
        description: 'Creates the record for a number you own. One live record per number in the whole installation: a second import is 409.',
        body: PhoneNumberImportSchema,
        response: { 201: Type.Ref(PhoneNumberSchema), ...errorResponses(nativeDialect, 400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const record = await numbers.importNumber(request.actor, request.body);
      reply.header('location', `/v1/phone-numbers/${record.id}`);
      return sendNumber(reply, record, 201);
    },
  );

  // In a context of its own: where the service imports on the worker thread, a large body reaches
  // this route as bytes, decoded there (bulk-body.ts) instead of on this thread's event loop.
  await app.register(bulkImportRoute, { numbers });

  app.get(
    '/phone-numbers',
    {
      schema: {
        tags,
        operationId: 'listPhoneNumbers',
        summary: 'List phone numbers (cursor pagination, oldest first)',
        querystring: ListQuery,
        response: {
          200: ListResponse,
          ...errorResponses(nativeDialect, 400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const page = await numbers.list(request.actor, request.query);
      // The bytes the response schema's serializer writes, from each record's held bytes.
      return sendJson(reply, numberJson.around('{"data":[', page.data, `],"has_more":${page.has_more},"next_cursor":${JSON.stringify(page.next_cursor)}}`));
    },
  );

  app.get(
    '/phone-numbers/:id',
    {
      schema: {
        tags,
        operationId: 'getPhoneNumber',
        summary: 'Get a phone number by id or by number',
        params: IdOrNumber,
        response: { 200: Type.Ref(PhoneNumberSchema), ...errorResponses(nativeDialect, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const record = await numbers.getByIdOrNumber(request.actor, request.params.id);
      return sendJson(reply.header('etag', etagOf(record)), numberJson.of(record));
    },
  );

  app.patch(
    '/phone-numbers/:id',
    {
      schema: {
        tags,
        operationId: 'updatePhoneNumber',
        summary: 'Update a phone number (absent keeps, null clears)',
        description: 'Send `If-Match` with the ETag of a previous read to update only if nobody changed the number since (412 otherwise).',
        params: IdOrNumber,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 64 })) }),
        body: PhoneNumberChangesSchema,
        response: { 200: Type.Ref(PhoneNumberSchema), ...errorResponses(nativeDialect, 400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const ifVersion = versionFromIfMatch(request.headers['if-match']);
      const updated = await numbers.update(request.actor, request.params.id, request.body, ifVersion === undefined ? {} : { ifVersion });
      return sendNumber(reply, updated);
    },
  );

  app.delete(
    '/phone-numbers/:id',
    {
      schema: {
        tags,
        operationId: 'deletePhoneNumber',
        summary: 'Delete a phone number (soft delete; the number can be imported again)',
        params: IdOrNumber,
        response: { 204: Type.Null(), ...errorResponses(nativeDialect, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await numbers.remove(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/phone-numbers/:id/events',
    {
      schema: {
        tags,
        operationId: 'listPhoneNumberEvents',
        summary: 'The audit trail of a number (secrets redacted)',
        description:
          'Every create, update and delete, oldest first: the acting API key, the changed fields and the record before and after (the trunk password never appears; `sip.has_password` tells whether one is set). By id the trail stays readable after the number is deleted.',
        params: IdOrNumber,
        response: { 200: Type.Object({ data: Type.Array(NumberEventSchema) }), ...errorResponses(nativeDialect, 401, 403, 404) },
      },
    },
    async (request) => ({ data: await numbers.events(request.actor, request.params.id) }),
  );
};

/** Bulk bodies decoded on the worker, until the request ends (dropping them is a no-op once imported). */
const decodedOnWorker = new WeakMap<FastifyRequest, DecodedImport>();

/**
 * A body left as bytes (registerJsonBodies' `deferFromBytes`) is decoded on the bulk-import
 * worker: the same JSON rules, walk, schema and Ajv options as the main thread's path, and the
 * same errors (bulk-body.ts). Before the schema check, as the parser and the walk run on other
 * routes, and before the Idempotency-Key is claimed (preHandler), with the fingerprint of the
 * decoded body: a body the schema rejects never ran and is not stored.
 */
async function decodeDeferredBody(request: FastifyRequest, numbers: PhoneNumberService): Promise<void> {
  if (!deferredBodies.has(request)) return;
  const urlIssues = deferredUrlIssues.get(request);
  const wanted: BulkBodyRequest = {
    ...(request.headers[IDEMPOTENCY_HEADER] === undefined ? {} : { fingerprint: { method: request.method, url: request.url } }),
    ...(urlIssues ? { urlIssues } : {}),
  };
  const decoded = await numbers.decodeOnWorker(request.body as Buffer, wanted);
  if (decoded.fingerprint !== undefined) bodyFingerprints.set(request, decoded.fingerprint);
  decodedOnWorker.set(request, decoded);
  // The client went away while the body was decoded (the request stream itself always ends destroyed once read).
  if (request.socket.destroyed) dropUnimported(request, numbers);
  // The items stay on the worker; the route's validator passes this stand-in (checked there).
  const checked = { items: [] };
  validatedBodies.add(checked);
  request.body = checked;
}

function dropUnimported(request: FastifyRequest, numbers: PhoneNumberService): void {
  const decoded = decodedOnWorker.get(request);
  decodedOnWorker.delete(request);
  if (decoded) numbers.dropDecoded(decoded);
}

const bulkImportRoute: FastifyPluginAsync<{ numbers: PhoneNumberService }> = async (plain, { numbers }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['phone-numbers'];
  if (numbers.decodesOnWorker) registerJsonBodies(app, undefined, { deferFromBytes: DEFER_BULK_BODY_BYTES });

  app.post(
    '/phone-numbers/bulk',
    {
      config: { idempotent: true },
      preValidation: (request) => decodeDeferredBody(request, numbers),
      onResponse: async (request) => dropUnimported(request, numbers),
      onRequestAbort: async (request) => dropUnimported(request, numbers),
      schema: {
        tags,
        operationId: 'bulkImportPhoneNumbers',
        summary: 'Import up to 10,000 numbers in one request',
        description:
          'One transaction with batched inserts; each item succeeds or fails on its own (per-item results, in request order). The response is 200 whenever the request itself was valid; look at `failed` and each item\'s `status`.',
        body: BulkImportBody,
        response: {
          200: BulkResponse,
          ...errorResponses(nativeDialect, 400, 401, 403, 413),
        },
      },
    },
    async (request, reply) => {
      // Left in the map: onResponse drops it from the worker if the import never took it (a 403).
      const decoded = decodedOnWorker.get(request);
      // The stand-in body of a decoded request carries no items: never import it as such.
      if (!decoded && deferredBodies.has(request)) throw new Error('the bulk body decoded on the worker is no longer held');
      const results = decoded ? await numbers.importDecoded(request.actor, decoded) : await numbers.importMany(request.actor, request.body.items);
      const data = results.map((result) =>
        result.status === 'created'
          ? result
          : {
              index: result.index,
              status: result.status,
              error: {
                status: ERROR_STATUS[result.code as keyof typeof ERROR_STATUS]?.status ?? 400,
                code: result.code,
                detail: result.errors.length > 0 ? result.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : result.message,
                errors: result.errors,
              },
            },
      );
      const created = results.filter((result) => result.status === 'created').length;
      const json = await bulkResponseJson({ created, failed: results.length - created, data });
      // Bytes are sent as they are (the schema's serializer would write the body again, in one
      // piece); the type provider only knows the body as an object.
      return reply.type('application/json; charset=utf-8').send(json as never);
    },
  );
};
