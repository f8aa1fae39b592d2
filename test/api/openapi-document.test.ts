/**
 * The OpenAPI document is a valid OpenAPI 3.0 document (@apidevtools/swagger-parser), every schema
 * in it compiles with ajv, and it says what the service sends (every response of the API tests is
 * checked against it by test/helpers/openapi-validator.ts, hooked into makeTestApp).
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { createResponseValidator, type OpenApiDocument } from '../helpers/openapi-validator.js';

let redis: TestRedis;
let t: TestApp;
let doc: OpenApiDocument;
beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'openapi-document');
  doc = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

test('swagger-parser validates the document', async () => {
  await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
});

test('ajv compiles every schema of the document (no nullable without type)', () => {
  expect(createResponseValidator(doc).compileAll()).toEqual([]);
});
