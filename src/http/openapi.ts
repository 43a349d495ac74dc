/**
 * What the generated OpenAPI document and the validators need beyond what @fastify/swagger and
 * TypeBox produce: string enums as `enum` (TypeBox writes a union of literals as `anyOf` of
 * constants, which Swagger UI shows as a bare string and Ajv reports as "must be equal to
 * constant" once per value), parameters with a default never required, and the document-level
 * parts (servers, license, contact) a generated client and a linter expect.
 */

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The single value a union branch stands for (`{const}` or a one-value `enum`), with its type. */
function literalOf(branch: unknown): { value: unknown; type: unknown } | undefined {
  if (!isObject(branch)) return undefined;
  const keys = Object.keys(branch).filter((key) => key !== 'type');
  if (keys.length !== 1) return undefined;
  if ('const' in branch) return { value: branch.const, type: branch.type ?? typeof branch.const };
  if (Array.isArray(branch.enum) && branch.enum.length === 1) return { value: branch.enum[0], type: branch.type ?? typeof branch.enum[0] };
  return undefined;
}

/**
 * A copy of a JSON schema with every `anyOf` of same-typed constants written as one `enum`
 * (anywhere in it, `properties`, `items` and shared definitions included). Anything else is kept.
 */
export function withEnums<T>(schema: T): T {
  if (Array.isArray(schema)) return (schema as unknown[]).map((item) => withEnums(item)) as T;
  if (!isObject(schema)) return schema;
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = withEnums(value);
  const branches = copy.anyOf;
  if (Array.isArray(branches) && branches.length > 1) {
    const literals = branches.map(literalOf);
    const type = literals[0]?.type;
    if (literals.every((literal) => literal !== undefined && literal.type === type) && typeof type === 'string') {
      delete copy.anyOf;
      copy.type = type;
      copy.enum = literals.map((literal) => literal!.value);
    }
  }
  return copy as T;
}

export interface DocumentOptions {
  /** Where clients reach the server (PUBLIC_URL), else `http://localhost:PORT`. */
  serverUrl: string;
}

/** The finishing touches of the whole document; run on every `GET /openapi.json` (cached by @fastify/swagger). */
export function polishDocument(document: JsonObject, options: DocumentOptions): JsonObject {
  const polished = withEnums(document);
  polished.servers = [{ url: options.serverUrl.replace(/\/+$/, ''), description: 'This Switchboard installation' }];
  const paths = (polished.paths ?? {}) as Record<string, Record<string, JsonObject>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      if (!isObject(operation) || !Array.isArray(operation.parameters)) continue;
      for (const parameter of operation.parameters as JsonObject[]) {
        // Ajv fills the default in, so a client may leave the parameter out (TypeBox lists
        // every non-Optional property as required, defaults notwithstanding).
        if (parameter.in !== 'path' && isObject(parameter.schema) && parameter.schema.default !== undefined) parameter.required = false;
      }
    }
  }
  return polished;
}
