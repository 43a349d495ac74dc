import { Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';

/**
 * TypeBox building blocks of the core shapes. The records' schemas live with their services (the
 * types are derived from them); the transports' request and response schemas build on the same
 * blocks through src/http/schemas/common.ts.
 */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** An ISO-8601 UTC timestamp. */
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-22T10:00:00.000Z'] });

export const Id = Type.String({ description: 'Opaque, time-sortable id (UUIDv7)', examples: ['019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e9f'] });

export const CountryCode = Type.String({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2', examples: ['US'] });

export const E164Input = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'E.164 number; the leading `+` is optional on input',
  examples: ['+14157774444'],
});

/** A reference to a stored number: E.164 (the `+` optional), or a pseudo number exactly as imported. */
export const NumberReference = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'E.164 number (the leading `+` optional), or a pseudo number exactly as imported',
  examples: ['+14157774444'],
});

export const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'Absolute http(s) URL' });

export const AgentWeightSchema = Type.Object(
  {
    agent_id: Type.String({ minLength: 1, maxLength: 128 }),
    weight: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of calls; the weights of a list sum to 1' }),
    agent_version: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 64 })], {
        description: 'A version number, `latest`, `latest_published` or a tag; stored as given',
      }),
    ),
  },
  { additionalProperties: false },
);

export const AgentList = Type.Array(AgentWeightSchema, { maxItems: 100 });

/** A string enum as a union of literals, keeping the literal types for the handlers. */
export function literals<const T extends readonly string[]>(values: T): TUnion<Array<TLiteral<T[number]>>> {
  return Type.Union(values.map((value) => Type.Literal(value)));
}

/** An outbound calling window in the callee's local time (see `CallingHours` in the core model). */
export const CallingHoursSchema = Type.Object(
  {
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      minItems: 1,
      maxItems: 7,
      description: 'ISO weekdays: 1 = Monday … 7 = Sunday',
    }),
    start: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'Local start, HH:MM', examples: ['09:00'] }),
    end: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'Local end (exclusive), HH:MM, up to 24:00; later than start', examples: ['20:00'] }),
  },
  {
    additionalProperties: false,
    description: "Outbound calls only inside this window, in the callee's time zone (derived from the dialled number); null = any time",
  },
);
