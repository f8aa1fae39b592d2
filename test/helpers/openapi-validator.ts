/**
 * Checks responses against the service's own OpenAPI 3.0 document, as an independent client
 * would: the status is declared for the operation, the content type is declared for that status,
 * and a JSON body is valid (ajv, with ajv's OpenAPI `nullable` keyword) against the declared
 * schema, `$ref`s resolved into `components.schemas`.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

// ajv-formats ships CommonJS; under ESM its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

interface MediaObject {
  schema?: unknown;
}
interface ResponseObject {
  description?: string;
  content?: Record<string, MediaObject>;
}
interface Operation {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
/** The parts of an OpenAPI 3.0 document this validator reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

/** One response as a client sees it. */
export interface ObservedResponse {
  method: string;
  /** The request URL (query allowed); matched against the document's path templates. */
  url: string;
  status: number;
  /** The Content-Type header, if any. */
  contentType: string | undefined;
  body: string;
}

/** The media type of a Content-Type header, lower-case, without parameters. */
export const mediaType = (ct: string | undefined): string => (ct ?? '').split(';')[0].trim().toLowerCase();

const isJson = (media: string) => media === 'application/json' || media.endsWith('+json');

const DOC_ID = 'openapi.json';

/** OpenAPI annotations that JSON Schema draft-07 does not know; ajv's strict mode refuses unknown keywords. */
const OPENAPI_ANNOTATIONS = ['example', 'xml', 'externalDocs', 'discriminator'];

/**
 * An OpenAPI 3.0 schema as JSON Schema draft-07 text: component `$ref`s point into the
 * definitions ajv holds, and the boolean `exclusiveMinimum`/`exclusiveMaximum` of 3.0 (draft-04
 * style, beside `minimum`/`maximum`) become draft-07's numeric ones. `nullable` is left to ajv,
 * which implements it (and refuses it without `type`).
 */
const toDefinitions = (schema: unknown): string =>
  JSON.stringify(schema, function (this: unknown, _key, value: unknown) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const s = { ...(value as Record<string, unknown>) };
    for (const [ex, bound] of [
      ['exclusiveMinimum', 'minimum'],
      ['exclusiveMaximum', 'maximum'],
    ] as const)
      if (typeof s[ex] === 'boolean') {
        if (s[ex]) s[ex] = s[bound];
        else delete s[ex];
        if (s[ex] !== undefined) delete s[bound];
      }
    return s;
  }).replace(/"#\/components\/schemas\//g, `"${DOC_ID}#/definitions/`);

/** The document path template (`/v1/jobs/{id}`) a URL path falls under; literal segments win. */
function matchPath(doc: OpenApiDocument, path: string): string | undefined {
  const segs = path.split('/');
  let best: { template: string; literals: number } | undefined;
  for (const template of Object.keys(doc.paths)) {
    const t = template.split('/');
    if (t.length !== segs.length) continue;
    let literals = 0;
    let ok = true;
    for (let i = 0; i < t.length && ok; i++) {
      if (/^\{[^}]+\}$/.test(t[i])) ok = segs[i].length > 0;
      else if (t[i] === segs[i]) literals++;
      else ok = false;
    }
    if (ok && (!best || literals > best.literals)) best = { template, literals };
  }
  return best?.template;
}

/**
 * A validator for one document. `check` returns the violations of one response (empty when it
 * conforms). A URL under no documented path (the not-found handler, /docs, /openapi.json itself)
 * is not checked: there is nothing to check it against.
 */
export function createResponseValidator(doc: OpenApiDocument) {
  if (!doc.openapi.startsWith('3.0')) throw new Error(`expected an OpenAPI 3.0 document, got ${doc.openapi}`);
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    validateFormats: true,
  });
  addFormats(ajv);
  // OpenAPI's own formats: numbers' widths are not checked, binary/byte bodies are not JSON.
  for (const f of ['int32', 'int64', 'float', 'double', 'binary', 'byte', 'password']) ajv.addFormat(f, true);
  for (const k of OPENAPI_ANNOTATIONS) ajv.addKeyword(k);
  // The component schemas as draft-07 `definitions`: `#/components/schemas/X` resolves there.
  ajv.addSchema(JSON.parse(toDefinitions({ definitions: doc.components?.schemas ?? {} })) as object, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();

  function validatorFor(key: string, schema: unknown): ValidateFunction {
    let v = compiled.get(key);
    if (!v) {
      v = ajv.compile(JSON.parse(toDefinitions(schema)) as object);
      compiled.set(key, v);
    }
    return v;
  }

  /** Compile every response schema once: a schema ajv refuses is a defect of the document. */
  function compileAll(): string[] {
    const errors: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const [status, res] of Object.entries(op.responses ?? {}))
          for (const [ct, media] of Object.entries(res.content ?? {}))
            if (media.schema !== undefined && isJson(ct))
              try {
                validatorFor(`${method} ${path} ${status} ${ct}`, media.schema);
              } catch (err) {
                errors.push(`${method.toUpperCase()} ${path} ${status} ${ct}: ${(err as Error).message}`);
              }
    for (const name of Object.keys(doc.components?.schemas ?? {}))
      try {
        validatorFor(`#${name}`, { $ref: `#/components/schemas/${name}` });
      } catch (err) {
        errors.push(`components.schemas.${name}: ${(err as Error).message}`);
      }
    return errors;
  }

  function check(r: ObservedResponse): string[] {
    const path = r.url.split('?')[0];
    const template = matchPath(doc, path);
    if (!template) return [];
    const method = r.method.toLowerCase();
    const head = method === 'head';
    const op = doc.paths[template][head ? 'get' : method];
    const where = `${r.method.toUpperCase()} ${r.url.length > 120 ? r.url.slice(0, 120) + '…' : r.url} → ${r.status}`;
    if (!op) return [];
    const declared =
      op.responses[String(r.status)] ?? op.responses[`${String(r.status)[0]}XX`] ?? op.responses.default;
    if (!declared)
      return [
        `${where}: status ${r.status} is not declared for ${method.toUpperCase()} ${template} (declared: ${Object.keys(op.responses).join(', ')})`,
      ];
    const content = declared.content ?? {};
    const types = Object.keys(content);
    if (head) return [];
    if (r.body.length === 0) {
      if (types.length && r.status !== 204 && r.status !== 304)
        return [`${where}: empty body, but the document declares ${types.join(', ')}`];
      if (types.length) return [`${where}: sends no body, but the document declares ${types.join(', ')}`];
      return [];
    }
    if (!types.length)
      return [`${where}: sends a ${mediaType(r.contentType)} body; the document declares none`];
    const media = mediaType(r.contentType);
    const [type] = media.split('/');
    const key =
      types.find((t) => mediaType(t) === media) ?? types.find((t) => t === `${type}/*` || t === '*/*');
    if (!key)
      return [
        `${where}: Content-Type ${r.contentType ?? '(none)'} is not declared (declared: ${types.join(', ')})`,
      ];
    const schema = content[key].schema as Record<string, unknown> | undefined;
    if (media === 'text/event-stream' && schema?.['x-event-data'])
      return checkEventStream(where, r.body, validatorFor(`${template} sse`, schema['x-event-data']));
    if (schema === undefined || !isJson(media)) return [];
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      return [`${where}: ${media} body is not JSON: ${r.body.slice(0, 200)}`];
    }
    const validate = validatorFor(`${method} ${template} ${r.status} ${key}`, schema);
    if (validate(body)) return [];
    const errs = (validate.errors ?? [])
      .slice(0, 8)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} (${e.schemaPath})`);
    return [
      `${where}: body does not match the ${key} schema: ${errs.join('; ')} — body: ${r.body.slice(0, 300)}`,
    ];
  }

  /** Each message's `data:` of an SSE body, as JSON, against the documented `x-event-data`. */
  function checkEventStream(where: string, body: string, validate: ValidateFunction): string[] {
    const out: string[] = [];
    for (const message of body.split(/\n\n/)) {
      const data = message
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (!data) continue;
      let event: unknown;
      try {
        event = JSON.parse(data);
      } catch {
        out.push(`${where}: SSE data is not JSON: ${data.slice(0, 200)}`);
        continue;
      }
      if (!validate(event))
        out.push(
          `${where}: SSE data does not match x-event-data: ${(validate.errors ?? [])
            .slice(0, 4)
            .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
            .join('; ')} — ${data.slice(0, 200)}`,
        );
    }
    return out;
  }

  return { check, compileAll };
}

const validators = new Map<string, ReturnType<typeof createResponseValidator>>();

/** Thrown by a validated `inject` when a response disagrees with the document. */
export class UndocumentedResponseError extends Error {
  constructor(violations: string[]) {
    super(`response disagrees with /openapi.json:\n  ${violations.join('\n  ')}`);
    this.name = 'UndocumentedResponseError';
  }
}

/**
 * Make every `app.inject(options)` of this app check its response against the app's own
 * document (`app.swagger()`): a response the document does not describe rejects the inject, so
 * the test that sent it fails. Call after `app.ready()`.
 */
export function validateInjectedResponses(app: FastifyInstance): void {
  const text = JSON.stringify(app.swagger());
  // Apps of one configuration share a document; compiling the schemas is what costs.
  let validator = validators.get(text);
  if (!validator) {
    validator = createResponseValidator(JSON.parse(text) as OpenApiDocument);
    validators.set(text, validator);
  }
  const original = app.inject;
  const inject = original.bind(app) as (o: InjectOptions | string) => Promise<LightMyRequestResponse>;
  const validated = async (opts: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const res = await inject(opts);
    const o = typeof opts === 'string' ? { url: opts, method: 'GET' } : opts;
    const u = o.url ?? o.path;
    const url = typeof u === 'string' ? u : (u?.pathname ?? '/');
    const violations = validator.check({
      method: o.method ?? 'GET',
      url,
      status: res.statusCode,
      contentType: res.headers['content-type'] as string | undefined,
      body: res.body,
    });
    if (violations.length) throw new UndocumentedResponseError(violations);
    return res;
  };
  const wrapper = ((opts?: InjectOptions | string, cb?: unknown) => {
    // The chained form (`app.inject().get(...)`) and callbacks are not used by the API tests.
    if (opts === undefined || cb !== undefined)
      return (original as (...a: unknown[]) => unknown).call(app, opts, cb);
    return validated(opts);
  }) as FastifyInstance['inject'];
  Object.defineProperty(app, 'inject', { value: wrapper, configurable: true, writable: true });
}
