import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { isPseudoShape, isStrictE164 } from '../../domain/phone.ts';
import type { Services } from '../../services/index.ts';
import { NotFoundError, ValidationError } from '../../services/errors.ts';
import type { PhoneNumber, PhoneNumberChanges, SipInput, SipTransport } from '../../services/phone-numbers/model.ts';
import { singleAgentChanges } from './single-agent.ts';
import { requireApiKey } from '../auth.ts';
import { errorResponses, useDialect, type Dialect, type FieldNames } from '../dialect.ts';
import { registerJsonBodies } from '../json-body.ts';
import { CreateBody, ImportBody, ListQuery, NumberParams, RetellErrorSchema, RetellListResponse, RetellPhoneNumberSchema, UpdateBody } from './schemas.ts';
import { RecordJson, sendJson } from '../record-json.ts';
import { toRetell } from './wire.ts';


/** The core fields Retell names otherwise, on every route and per operation (the SIP credentials differ). */
const FIELD_NAMES: FieldNames = {
  'sip.termination_uri': 'termination_uri',
  'sip.transport': 'transport',
  cursor: 'pagination_key',
  'criteria.phone_number': 'phone_number',
  'criteria.country': 'country_code',
  'criteria.area_code': 'area_code',
};
const IMPORT_FIELD_NAMES: FieldNames = { 'sip.auth_username': 'sip_trunk_auth_username', 'sip.auth_password': 'sip_trunk_auth_password' };
const UPDATE_FIELD_NAMES: FieldNames = { 'sip.auth_username': 'auth_username', 'sip.auth_password': 'auth_password' };

/** SIP settings from Retell's flat fields; undefined when none was sent, so the stored ones stay. */
function sipInput(fields: { termination_uri?: string; auth_username?: string; auth_password?: string; transport?: string | null }): SipInput | undefined {
  const sip: SipInput = {};
  if (fields.termination_uri !== undefined) sip.termination_uri = fields.termination_uri;
  if (fields.auth_username !== undefined) sip.auth_username = fields.auth_username;
  if (fields.auth_password !== undefined) sip.auth_password = fields.auth_password;
  // The service checks the value; the wire type is a plain string.
  if (fields.transport !== undefined) sip.transport = fields.transport as SipTransport | null;
  return Object.keys(sip).length > 0 ? sip : undefined;
}

/**
 * The fields Retell and the core model name alike, copied when present, and the deprecated
 * single-agent fields as the weighted lists they stand for (`current`: the record an update
 * changes, for a version sent without its agent).
 */
function sharedChanges(body: Parameters<typeof singleAgentChanges>[0] & Partial<Record<keyof PhoneNumberChanges, unknown>>, current: PhoneNumber | null = null): PhoneNumberChanges {
  const names = [
    'nickname',
    'inbound_agents',
    'outbound_agents',
    'inbound_sms_agents',
    'outbound_sms_agents',
    'inbound_webhook_url',
    'inbound_sms_webhook_url',
    'allowed_inbound_country_list',
    'allowed_outbound_country_list',
    'fallback_number',
  ] as const;
  const changes: Record<string, unknown> = {};
  for (const name of names) if (body[name] !== undefined) changes[name] = body[name];
  const single = singleAgentChanges(body, current);
  if (single.issues.length > 0) throw new ValidationError(single.issues);
  return { ...(changes as PhoneNumberChanges), ...single.changes };
}

/**
 * With `ignore_e164_validation` (Retell's default), a number that is not a valid E.164 number as
 * written (`+`, country code, digits) but has a pseudo number's shape is an internal pseudo
 * number: stored and returned exactly as given. A valid E.164 number stays E.164.
 */
function isRetellPseudo(phoneNumber: string): boolean {
  return isPseudoShape(phoneNumber) && !isStrictE164(phoneNumber);
}

/** The number of a `/…/{phone_number}` path; retell-sdk sends `''` as a trailing slash, which must not reach a lookup. */
function pathNumber(params: { phone_number: string }): string {
  if (params.phone_number.trim() === '') throw new NotFoundError('no phone number in the path (expected e.g. /get-phone-number/+14157774444)');
  return params.phone_number;
}

/** Retell's error envelope: `status: "error"` beside a top-level `message` (plus the failing fields) and `x-should-retry` for retell-sdk. */
const retellDialect: Dialect = {
  errorSchema: RetellErrorSchema,
  fieldNames: FIELD_NAMES,
  bareFieldNames: true,
  sendError(_request, reply, problem) {
    // Retell has no If-Match, so a failed optimistic write can only be a race: let the SDK retry it.
    // Every other 4xx is final; retell-sdk would otherwise re-send 408/409/429 on its own.
    const status = problem.code === 'PRECONDITION_FAILED' ? 409 : problem.status;
    // Rejected carrier credentials stay rejected: a retry would only ask the carrier again.
    const retry = problem.code === 'PRECONDITION_FAILED' || status === 429 ? 'true' : status < 500 || problem.code === 'PROVIDER_AUTH_FAILED' ? 'false' : undefined;
    if (retry) reply.header('x-should-retry', retry);
    return reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send({ status: 'error', message: problem.detail, ...(problem.errors.length > 0 ? { errors: problem.errors } : {}) });
  },
};

/** Retell's phone-number object of a record, written once per record version (see RecordJson). */
const retellJson = new RecordJson(RetellPhoneNumberSchema, toRetell);

/** The v1 list reads the workspace's numbers in pages of this size. */
const V1_LIST_PAGE = 1000;

const retellErrors = errorResponses(retellDialect, 400, 401, 403, 404, 409, 422);

/** Retell's phone-number API under /retell (client base URL http://host/retell). */
export const retellApi: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const numbers = services.phoneNumbers;
  const tags = ['retell'];
  app.addSchema(RetellPhoneNumberSchema);
  useDialect(app, retellDialect);

  // retell-sdk's create() without an argument sends `Content-Type: application/json` and no body.
  // The app's strict parser (UTF-8, NUL) with an empty body read as {}.
  registerJsonBodies(app, () => ({}));
  app.addHook('preValidation', async (request) => {
    if ((request.method === 'POST' || request.method === 'PATCH') && request.body == null) request.body = {};
  });

  requireApiKey(app, services);

  const response = (status: number) => ({ [status]: Type.Ref(RetellPhoneNumberSchema), ...retellErrors });

  app.post(
    '/create-phone-number',
    {
      config: { idempotent: true },
      schema: {
        tags,
        operationId: 'retellCreatePhoneNumber',
        summary: 'Buy a number (at Twilio/Telnyx, or from the operator\'s inventory) and bind agents',
        description:
          'Allocates a free number of the installation\'s inventory (`switchboard inventory add`) matching `phone_number`, `area_code`, `country_code` (default `US` unless `phone_number` is given), `toll_free` (default: not toll-free) and `number_provider` (a configured carrier; otherwise inventory stock with that provider or none). With TWILIO_*/TELNYX_* configured the number is bought at the carrier (`phone_number_type` `retell-twilio`/`retell-telnyx`). No match → 422 with a `message`; carrier failures → 502/504. Concurrent buys never get the same number.',
        body: CreateBody,
        response: response(201),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const specific = body.phone_number !== undefined;
      const record = await services.inventory.buy(
        request.actor,
        {
          phone_number: body.phone_number,
          country: body.country_code ?? (specific ? undefined : 'US'),
          area_code: body.area_code?.toString(),
          toll_free: body.toll_free ?? (specific ? undefined : false),
          provider: body.number_provider,
        },
        { ...sharedChanges(body), ...(body.transport !== undefined ? { sip: { transport: body.transport as SipTransport | null } } : {}) },
      );
      return reply.code(201).send(toRetell(record));
    },
  );

  app.post(
    '/import-phone-number',
    {
      config: { idempotent: true, fieldNames: IMPORT_FIELD_NAMES },
      schema: {
        tags,
        operationId: 'retellImportPhoneNumber',
        summary: 'Import a number of your own SIP trunk and bind agents',
        description:
          '`ignore_e164_validation` defaults to `true` as in Retell: a `phone_number` that is not a valid E.164 number as written but is digits (optionally with `+`) or an internal id of letters, digits, `-`, `_` (up to 64) is a pseudo number, stored and returned exactly as given, with no derived metadata; anything else must be E.164. With `false`, E.164 only, valid for its country. A number that is live anywhere in the installation is 409 (`x-should-retry: false`). `sip_trunk_auth_password` is stored encrypted and never returned.',
        body: ImportBody,
        response: response(201),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const sip = sipInput({
        termination_uri: body.termination_uri,
        ...(body.sip_trunk_auth_username !== undefined ? { auth_username: body.sip_trunk_auth_username } : {}),
        ...(body.sip_trunk_auth_password !== undefined ? { auth_password: body.sip_trunk_auth_password } : {}),
        ...(body.transport !== undefined ? { transport: body.transport } : {}),
      });
      const ignoreE164 = body.ignore_e164_validation ?? true;
      const record = await numbers.importNumber(
        request.actor,
        { ...sharedChanges(body), phone_number: body.phone_number, pseudo: ignoreE164 && isRetellPseudo(body.phone_number), source: 'custom', ...(sip ? { sip } : {}) },
        { allowUnknownNumbers: ignoreE164 },
      );
      return reply.code(201).send(toRetell(record));
    },
  );

  app.get(
    '/get-phone-number/:phone_number',
    {
      schema: { tags, operationId: 'retellGetPhoneNumber', summary: 'Get a number', params: NumberParams, response: response(200) },
    },
    async (request, reply) => sendJson(reply, retellJson.of(await numbers.getByNumber(request.actor, pathNumber(request.params)))),
  );

  app.get(
    '/v2/list-phone-numbers',
    {
      schema: {
        tags,
        operationId: 'retellListPhoneNumbers',
        summary: 'List numbers with pagination',
        description:
          'Sorted by creation time, newest first unless `sort_order=ascending`; `limit` 1–1000, default 50. `pagination_key` is absent on the last page. An empty `pagination_key=` or `sort_order=` (what retell-sdk sends for `null`) means "not given".',
        querystring: ListQuery,
        response: {
          200: RetellListResponse,
          ...retellErrors,
        },
      },
    },
    async (request, reply) => {
      const { limit, pagination_key: paginationKey, sort_order: sortOrder } = request.query;
      const page = await numbers.list(request.actor, {
        limit,
        cursor: paginationKey || undefined,
        order: sortOrder === 'ascending' ? 'asc' : 'desc',
      });
      // The bytes the response schema's serializer writes, from each record's held bytes.
      const key = page.next_cursor ? `,"pagination_key":${JSON.stringify(page.next_cursor)}` : '';
      return sendJson(reply, retellJson.around('{"items":[', page.data, `],"has_more":${page.has_more}${key}}`));
    },
  );

  app.get(
    '/list-phone-numbers',
    {
      schema: {
        tags,
        operationId: 'retellListPhoneNumbersV1',
        summary: 'List every number (Retell v1: a plain array, newest first)',
        description: 'Retell\'s first list endpoint, still served: every number of the workspace in one JSON array, newest first, no paging. `/v2/list-phone-numbers` pages.',
        response: { 200: Type.Array(Type.Ref(RetellPhoneNumberSchema)), ...retellErrors },
      },
    },
    async (request, reply) => {
      const all: PhoneNumber[] = [];
      let cursor: string | undefined;
      do {
        const page = await numbers.list(request.actor, { limit: V1_LIST_PAGE, cursor, order: 'desc' });
        all.push(...page.data);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return sendJson(reply, retellJson.around('[', all, ']'));
    },
  );

  app.patch(
    '/update-phone-number/:phone_number',
    {
      config: { fieldNames: UPDATE_FIELD_NAMES },
      schema: {
        tags,
        operationId: 'retellUpdatePhoneNumber',
        summary: 'Update a number (absent keeps, null clears)',
        description: 'SIP credentials are `auth_username` / `auth_password` here (not `sip_trunk_auth_*`); the password is write-only.',
        params: NumberParams,
        body: UpdateBody,
        response: response(200),
      },
    },
    async (request) => {
      const body = request.body;
      const current = await numbers.getByNumber(request.actor, pathNumber(request.params));
      const sip = sipInput(body);
      const updated = await numbers.update(request.actor, current.id, { ...sharedChanges(body, current), ...(sip ? { sip } : {}) });
      return toRetell(updated);
    },
  );

  app.delete(
    '/delete-phone-number/:phone_number',
    {
      schema: {
        tags,
        operationId: 'retellDeletePhoneNumber',
        summary: 'Delete a number',
        description: 'A number bought at a carrier is released there; one from the inventory goes back to it. 204 with no body.',
        params: NumberParams,
        response: { 204: Type.Null(), ...retellErrors },
      },
    },
    async (request, reply) => {
      const current = await numbers.getByNumber(request.actor, pathNumber(request.params));
      await numbers.remove(request.actor, current.id);
      await services.inventory.returnToStock(current.phone_number);
      return reply.code(204).send(null);
    },
  );
};
