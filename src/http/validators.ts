import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { withEnums } from './openapi.ts';

/**
 * Request bodies already decoded and checked against their route's schema elsewhere, by these same
 * rules (a bulk import's body, on the bulk-import worker thread: src/http/native/bulk-body.ts).
 * The route's body validator passes them as they are.
 */
export const validatedBodies = new WeakSet<object>();

function ajvFor(part: 'body' | 'other', externalSchemas: Record<string, unknown>) {
  // Bodies are checked exactly as sent: no type coercion (a "true" string is not a boolean) and
  // unknown fields are errors, not silently dropped. Query strings and params arrive as text and
  // are coerced to the declared types.
  const ajv = new Ajv({
    coerceTypes: part === 'body' ? false : 'array',
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    allowUnionTypes: true,
    strict: false,
  }).addKeyword('example');
  addFormats.default(ajv);
  for (const schema of Object.values(externalSchemas)) ajv.addSchema(withEnums(schema) as object);
  return ajv;
}

/**
 * A request body's validator outside Fastify, with the options and schema rewriting of the app's
 * (`validatorFactory`): the same errors, in Ajv's shape, for the same bytes.
 */
export function bodyValidator(schema: object): (data: unknown) => ErrorObject[] | null {
  const validate = ajvFor('body', {}).compile(withEnums(schema));
  return (data) => (validate(data) ? null : (validate.errors ?? []));
}

/**
 * The app's validator compilers. Installed as the compilers factory (not setValidatorCompiler) so
 * that every encapsulated plugin, including ones that add shared schemas, validates with these rules.
 */
export function validatorFactory() {
  // Fastify asks for a validator per plugin context; each new Ajv compiles its meta-schemas and
  // formats again (over a second of the server's startup, see BENCHMARKS.md). Contexts that
  // share the same shared schemas share one pair of Ajv instances. Per app, never per process.
  const pairs = new Map<string, { body: Ajv; other: Ajv }>();
  return (externalSchemas: Record<string, unknown>) => {
    const key = Object.keys(externalSchemas).sort().join('\n');
    let pair = pairs.get(key);
    if (!pair) {
      pair = { body: ajvFor('body', externalSchemas), other: ajvFor('other', externalSchemas) };
      pairs.set(key, pair);
    }
    const { body, other } = pair;
    return ({ schema, httpPart }: { schema: object; httpPart?: string }) => {
      // Enums as `enum`, so an error lists the allowed values (see openapi.ts).
      if (httpPart !== 'body') return validatorOnFirstUse(() => other.compile(withEnums(schema)));
      const validate = validatorOnFirstUse(() => body.compile(withEnums(schema)));
      const validateBody: Validator = (data) => {
        if (typeof data === 'object' && data !== null && validatedBodies.has(data)) return true;
        const valid = validate(data);
        validateBody.errors = validate.errors;
        return valid;
      };
      return validateBody;
    };
  };
}

type Validator = ((data: unknown) => boolean) & { errors?: unknown };

/**
 * Compiling every schema of every route of every dialect at startup was about a quarter of the
 * time to ready (BENCHMARKS.md), while an installation typically uses one dialect: validators and
 * serializers are compiled on a route's first request instead (a few ms, once). Fastify reads
 * `errors` off the function it was given, so the compiled validator's errors are passed on.
 */
function validatorOnFirstUse(compile: () => Validator): Validator {
  let compiled: Validator | undefined;
  const validate: Validator = (data) => {
    compiled ??= compile();
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  return validate;
}
