/**
 * Metadata key for a schema that is checked loosely at runtime but documented as a named
 * component: `z.record(...).meta({ [DOCUMENTED_AS]: 'JobSpec' })`. Responses such as a job's
 * `spec` and an event page's items are served as stored (they passed their schema on the way
 * in), so serializing them through the full schema would only risk dropping fields; the OpenAPI
 * document (src/api/openapi-document.ts) replaces the marked schema by a `$ref` to the component.
 */
export const DOCUMENTED_AS = 'x-documented-as';
