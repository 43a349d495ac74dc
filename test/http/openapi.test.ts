/**
 * The OpenAPI document as a generated client and a linter see it: Redocly's recommended rules
 * pass with no error and no warning, enums are `enum`, defaults are not required, and the
 * document names where the server is.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
let document: any;

beforeAll(async () => {
  h = await createHarness({ env: { PUBLIC_URL: 'https://switchboard.acme.test/' } });
  document = (await h.request('GET', '/openapi.json')).json();
});
afterAll(async () => h.close());

const operations = () =>
  Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );

describe('GET /openapi.json', () => {
  // With PUBLIC_URL set, as in production: the localhost default draws Redocly's no-server-example.com warning.
  test("passes Redocly's recommended rules with 0 errors and 0 warnings", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    const report = problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
    expect(report).toEqual([]);
  }, 60_000);

  test('every operation has a unique operationId and a tag', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(operations().filter(({ operation }) => !operation.operationId || !operation.tags?.length).map(({ name }) => name)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('servers from PUBLIC_URL, license and contact', () => {
    expect(document.servers).toEqual([{ url: 'https://switchboard.acme.test', description: expect.any(String) }]);
    expect(document.info.license).toMatchObject({ name: 'Apache-2.0' });
    expect(document.info.contact.name).toBeTruthy();
  });

  test('a parameter with a default is optional (GET /v1/phone-numbers without limit)', async () => {
    const limit = document.paths['/v1/phone-numbers'].get.parameters.find((parameter: any) => parameter.name === 'limit');
    expect(limit).toMatchObject({ required: false, schema: { default: 50 } });
    const defaults = operations().flatMap(({ name, operation }) =>
      (operation.parameters ?? []).filter((parameter: any) => parameter.required && parameter.schema?.default !== undefined).map((parameter: any) => `${name} ${parameter.name}`),
    );
    expect(defaults).toEqual([]);
    const ws = await h.workspace();
    expect((await h.request('GET', '/v1/phone-numbers', { key: await ws.key() })).status).toBe(200);
  });

  test('string enums are `enum`, not anyOf of constants; error examples are shown', () => {
    const status = document.paths['/v1/phone-numbers'].get.parameters.find((parameter: any) => parameter.name === 'status');
    expect(status.schema).toEqual({ type: 'string', enum: ['pending', 'active', 'failed', 'inactive'] });
    const literalUnions: string[] = [];
    const walk = (node: unknown, pointer: string) => {
      if (Array.isArray(node)) return node.forEach((item, index) => walk(item, `${pointer}/${index}`));
      if (typeof node !== 'object' || node === null) return;
      const { anyOf } = node as { anyOf?: any[] };
      if (anyOf && anyOf.length > 1 && anyOf.every((branch) => branch.const !== undefined || branch.enum?.length === 1)) literalUnions.push(pointer);
      for (const [key, value] of Object.entries(node)) walk(value, `${pointer}/${key}`);
    };
    walk(document, '#');
    expect(literalUnions).toEqual([]);
    expect(document.components.schemas.Problem.examples[0]).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  test('a value outside an enum is refused naming the allowed values', async () => {
    const ws = await h.workspace();
    const response = await h.request('GET', '/v1/phone-numbers?status=sleeping', { key: await ws.key() });
    expect(response.status).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'query.status', message: 'must be one of pending, active, failed, inactive' }]);
  });
});
