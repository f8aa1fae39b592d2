import { STATUS_CODES } from 'node:http';
import { DOCUMENTED_AS } from '../contracts/documented-as.js';
import {
  HEADER_EXAMPLES,
  PATH_ID_EXAMPLES,
  QUERY_EXAMPLES,
  REQUEST_BODY_EXAMPLES,
} from '../contracts/examples.js';

/**
 * A JSON response with a description of its own. (`Schema.describe()` would make a new,
 * unregistered schema that the document inlines instead of referencing its component.)
 */
export const jsonResponse = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/* eslint-disable @typescript-eslint/no-explicit-any -- walks untyped JSON */
type Json = any;

const REF = '#/components/schemas/';

/** The tags of the document, each with what it groups; every operation gets one (see {@link tagOf}). */
export const TAGS = [
  { name: 'jobs', description: 'Create, validate, list, inspect, cancel and delete training jobs.' },
  { name: 'events', description: 'A job’s progress: SSE stream or JSON pages, one cursor (the event id).' },
  { name: 'results', description: 'What a succeeded job produced: weights, predictions, input gradients.' },
  { name: 'datasets', description: 'Upload, list, describe and delete datasets; the built-in ones.' },
  {
    name: 'webhooks',
    description: 'Signed, retried, logged notifications when jobs (and sweeps) change state.',
  },
  {
    name: 'sweeps',
    description: 'Hyperparameter sweeps (grid, random, ASHA): trials are jobs, spread over every worker.',
  },
  { name: 'health', description: 'Liveness, readiness and Prometheus metrics (never need an API key).' },
  {
    name: 'usage',
    description: 'A tenant’s consumption (compute seconds today, bytes stored) and its quotas.',
  },
];

function tagOf(path: string): string {
  if (!path.startsWith('/v1')) return 'health';
  if (path.startsWith('/v1/datasets')) return 'datasets';
  if (path.startsWith('/v1/webhooks')) return 'webhooks';
  if (path.startsWith('/v1/sweeps')) return 'sweeps';
  if (path === '/v1/usage') return 'usage';
  if (path.endsWith('/events')) return 'events';
  if (/\/(weights|predict|gradients)$/.test(path)) return 'results';
  return 'jobs';
}

/** What each status means in this API, for responses whose schema says nothing more. */
const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '204': 'No content',
  '304': 'Not modified: `If-None-Match` matched the ETag',
  '400': 'Invalid request: the problem names the field, the limit and the value',
  '401': 'Missing or unknown API key (`Authorization: Bearer <key>`)',
  '404': 'No such job, dataset or webhook for this tenant',
  '409': 'The resource is not in a state that allows this',
  '413': 'The request body is larger than the limit (the problem names it)',
  '415': 'The route does not take this Content-Type (the problem lists the ones it takes)',
  '429': 'Rate limit or job cap reached; retry after `Retry-After` seconds',
  '503': 'Redis is unreachable or the server is shutting down',
};

/** `null` in OpenAPI 3.0, which has no `null` type: a nullable type whose only value is null. */
const NULL_SCHEMA = { type: 'object', nullable: true, enum: [null] };

function walk(node: Json, visit: (n: Json) => Json): Json {
  if (Array.isArray(node)) return node.map((n) => walk(n, visit));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = walk(v, visit);
  return visit(out);
}

/**
 * Schema fixes the type provider cannot make: `nullable` only means something next to `type` in
 * OpenAPI 3.0 (ajv refuses it otherwise, and a `$ref` beside it is ignored), so a nullable
 * reference or union becomes `anyOf: [..., null]`; a schema marked {@link DOCUMENTED_AS}
 * becomes a reference to its component.
 */
function fixSchema(s: Json): Json {
  if (typeof s[DOCUMENTED_AS] === 'string') {
    const { [DOCUMENTED_AS]: name, type: _t, additionalProperties: _a, propertyNames: _p, ...rest } = s;
    if (s.type === 'array') return { ...rest, items: { $ref: REF + name } };
    return { ...(rest.description ? { description: rest.description } : {}), allOf: [{ $ref: REF + name }] };
  }
  if (s.nullable === true && s.type === undefined) {
    const { nullable: _n, allOf, anyOf, oneOf, ...rest } = s;
    if (oneOf) return { ...rest, ...(allOf ? { allOf } : {}), oneOf: [...oneOf, NULL_SCHEMA] };
    const branches = anyOf ?? allOf ?? [];
    if (branches.length) return { ...rest, anyOf: [...branches, NULL_SCHEMA] };
  }
  return s;
}

/** The request examples of src/contracts/examples.ts, on the media and parameters Swagger UI reads. */
function addExamples(path: string, op: Json): void {
  for (const [media, example] of Object.entries(REQUEST_BODY_EXAMPLES[op.operationId] ?? {})) {
    // A copy: @fastify/swagger gives every media type of a body one shared object.
    const content = op.requestBody?.content?.[media];
    if (content) op.requestBody.content[media] = { ...content, example };
  }
  for (const p of op.parameters ?? []) {
    const example =
      p.in === 'path' && p.name === 'id'
        ? PATH_ID_EXAMPLES[
            path.startsWith('/v1/datasets')
              ? 'dataset'
              : path.startsWith('/v1/webhooks')
                ? 'webhook'
                : path.startsWith('/v1/sweeps')
                  ? 'sweep'
                  : 'job'
          ]
        : p.in === 'path' && p.name === 'deliveryId'
          ? PATH_ID_EXAMPLES.delivery
          : p.in === 'query'
            ? QUERY_EXAMPLES[op.operationId]?.[p.name]
            : p.in === 'header'
              ? HEADER_EXAMPLES[p.name.toLowerCase()]
              : undefined;
    if (example !== undefined) p.example = example;
  }
}

const isProblemRef = (schema: Json) => schema?.$ref === `${REF}Problem`;

/** Every component a node refers to, transitively through `schemas`. */
function reachable(node: Json, schemas: Record<string, Json>, seen = new Set<string>()): Set<string> {
  walk(node, (n) => {
    if (typeof n.$ref === 'string' && n.$ref.startsWith(REF)) {
      const name = n.$ref.slice(REF.length);
      if (!seen.has(name) && schemas[name]) {
        seen.add(name);
        reachable(schemas[name], schemas, seen);
      }
    }
    return n;
  });
  return seen;
}

/**
 * The last pass over the generated document (@fastify/swagger's `transformObject`, after
 * fastify-type-provider-zod's): makes it say what the service sends.
 *
 * - Problem responses are `application/problem+json` (src/api/errors.ts sends nothing else).
 * - The JobSpec request body becomes the `JobSpec` component, which `Job.spec` references.
 * - The type provider emits every registered schema twice (`X` for responses, `XInput` for
 *   requests); only the components a path uses are kept, and an `XInput` whose `X` is unused
 *   takes the plain name (`PredictRequest`).
 * - Tags per area, and response descriptions that say what the status means here.
 */
export function finishOpenApiDocument(doc: Json): Json {
  const schemas: Record<string, Json> = { ...(doc.components?.schemas ?? {}) };
  const paths: Json = doc.paths ?? {};
  const spec = paths['/v1/jobs']?.post?.requestBody?.content?.['application/json'];
  if (spec?.schema && !spec.schema.$ref) {
    schemas.JobSpec = spec.schema;
    for (const [path, method] of [
      ['/v1/jobs', 'post'],
      ['/v1/jobs/validate', 'post'],
    ]) {
      const media = paths[path]?.[method]?.requestBody?.content?.['application/json'];
      if (media) media.schema = { $ref: `${REF}JobSpec` };
    }
  }
  for (const [path, ops] of Object.entries<Json>(paths))
    for (const op of Object.values<Json>(ops)) {
      op.tags = op.tags?.length ? op.tags : [tagOf(path)];
      addExamples(path, op);
      for (const [status, res] of Object.entries<Json>(op.responses ?? {})) {
        if (!res.description || res.description === 'Default Response')
          res.description = STATUS_TEXT[status] ?? STATUS_CODES[Number(status)] ?? status;
        const json = res.content?.['application/json'];
        if (json && isProblemRef(json.schema)) {
          delete res.content['application/json'];
          res.content['application/problem+json'] = json;
        }
      }
    }
  let out: Json = { ...doc, paths, components: { ...doc.components, schemas } };
  out = walk(out, fixSchema);
  // Keep what the paths use; an `XInput` alone takes the name `X`.
  const used = reachable(out.paths, out.components.schemas);
  const rename = new Map<string, string>();
  for (const name of used)
    if (name.endsWith('Input') && !used.has(name.slice(0, -5))) rename.set(name, name.slice(0, -5));
  const kept: Record<string, Json> = {};
  for (const name of Object.keys(out.components.schemas).sort())
    if (used.has(name)) kept[rename.get(name) ?? name] = out.components.schemas[name];
  out.components.schemas = kept;
  if (rename.size)
    out = walk(out, (n) => {
      const target = typeof n.$ref === 'string' ? rename.get(n.$ref.slice(REF.length)) : undefined;
      return target ? { ...n, $ref: REF + target } : n;
    });
  out.tags = TAGS;
  return out;
}
