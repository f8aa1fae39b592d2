/**
 * Webhooks (issue 17; shared/design/api-v1.1.md "Webhooks"): the endpoint a tenant registers, the
 * events Descent sends it, and the delivery log. One zod module is the source of the types, the
 * validation and the OpenAPI document, as for the JobSpec.
 *
 * What the request schemas cannot know (https only, public addresses only: deployment flags, DNS)
 * is checked by the API with src/webhooks/address-guard.ts, and again at every delivery.
 */
import { z } from 'zod';

/** Longest endpoint URL accepted (characters). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** Longest endpoint description (characters). */
export const MAX_WEBHOOK_DESCRIPTION_LENGTH = 256;
/** Stored prefix of a receiver's response body (characters); at most 64 KiB is ever read. */
export const MAX_STORED_RESPONSE_CHARS = 2048;

/** Every event type Descent sends. */
export const WEBHOOK_EVENT_TYPES = [
  'job.queued',
  'job.running',
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'sweep.ended',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The job event types: what a job spec's own `webhook` may ask for. */
export const JOB_WEBHOOK_EVENT_TYPES = WEBHOOK_EVENT_TYPES.filter((t) => t.startsWith('job.')) as [
  WebhookEventType,
  ...WebhookEventType[],
];

export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).meta({
  description:
    'job.queued (created), job.running (an attempt started; again after a crash-resume), job.succeeded, job.failed, job.cancelled (the job ended), sweep.ended (a sweep finished)',
});

/** A URL as the request gives it: length and parseability here, scheme and address by the API. */
export const WebhookUrlSchema = z
  .string()
  .max(MAX_WEBHOOK_URL_LENGTH, {
    error: (iss) =>
      `url has ${(iss.input as string).length} characters; the limit is ${MAX_WEBHOOK_URL_LENGTH}`,
  })
  .refine((s) => URL.canParse(s), { error: 'url is not an absolute URL' })
  .meta({ description: 'https URL that receives the events (http only with DESCENT_WEBHOOK_ALLOW_HTTP=1)' });

/** A list of event types: at least one, no repeats. */
export const eventList = <T extends z.ZodType<string>>(item: T) =>
  z
    .array(item)
    .min(1, { error: 'events must name at least one event type' })
    .max(WEBHOOK_EVENT_TYPES.length, {
      error: (iss) =>
        `events has ${(iss.input as unknown[]).length} entries; the limit is ${WEBHOOK_EVENT_TYPES.length}`,
    })
    .refine((a) => new Set(a).size === a.length, { error: 'events lists an event type twice' });

export const CreateWebhookSchema = z
  .strictObject({
    url: WebhookUrlSchema,
    events: eventList(WebhookEventTypeSchema),
    description: z
      .string()
      .max(MAX_WEBHOOK_DESCRIPTION_LENGTH, {
        error: (iss) =>
          `description has ${(iss.input as string).length} characters; the limit is ${MAX_WEBHOOK_DESCRIPTION_LENGTH}`,
      })
      .default(''),
  })
  .meta({ id: 'CreateWebhook' });

const webhookId = z.string().regex(/^wh_[0-9a-z]{1,64}$/, { error: 'a webhook id looks like wh_…' });
const deliveryId = z.string().regex(/^dlv_[0-9a-z]{1,64}$/, { error: 'a delivery id looks like dlv_…' });

// (their examples: PATH_ID_EXAMPLES of examples.ts)
export const WebhookParamsSchema = z.object({ id: webhookId });
export const DeliveryParamsSchema = z.object({ id: webhookId, deliveryId });

export const DeliveryListQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100, { error: (iss) => `limit is ${String(iss.input)}; the limit is 100` })
    .default(20),
});

/** An endpoint as every answer shows it (never its secret). */
export const WebhookSchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook'),
    url: z.string(),
    events: z.array(WebhookEventTypeSchema),
    description: z.string(),
    createdAt: z.string(),
    default: z.boolean().meta({
      description:
        "The tenant's oldest endpoint: its secret also signs the deliveries of jobs that carry their own `webhook`",
    }),
    disabled: z.boolean(),
    // a string, not an enum: OpenAPI 3.0 has no nullable enum that validators agree on
    disabledReason: z
      .string()
      .nullable()
      .meta({ description: 'gone: the receiver answered 410; failing: no delivery succeeded for 5 days' }),
    disabledAt: z.string().nullable(),
    failingSince: z.string().nullable(),
    previousSecretExpiresAt: z
      .string()
      .nullable()
      .meta({ description: 'After a rotation, the old secret also signs until this time' }),
  })
  .meta({ id: 'Webhook' });

/** The create and rotate answers: the endpoint and its secret, shown this once. */
export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().meta({
    description: 'whsec_<base64 key>: verify signatures with it (Standard Webhooks). Shown only here.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).meta({ id: 'WebhookWithSecret' });

export const WebhookListSchema = z
  .object({ object: z.literal('list'), data: z.array(WebhookSchema) })
  .meta({ id: 'WebhookList' });

export const DeliveryAttemptSchema = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    statusCode: z.number().int().nullable().meta({ description: 'null when no answer came' }),
    latencyMs: z.number().int(),
    error: z.string().nullable(),
    response: z.string().meta({ description: 'The start of the response body (at most 2048 characters)' }),
    responseTruncated: z.boolean(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });

export const DeliveryStatusSchema = z.enum(['pending', 'retrying', 'delivered', 'failed', 'skipped']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

export const DeliverySchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook.delivery'),
    webhookId: z.string(),
    eventId: z.string().meta({ description: 'The `webhook-id` header: the same on every attempt' }),
    type: WebhookEventTypeSchema,
    url: z
      .string()
      .meta({ description: "Where it goes: the endpoint's URL, or a job spec's own webhook.url" }),
    status: DeliveryStatusSchema,
    createdAt: z.string(),
    nextRetryAt: z.string().nullable(),
    attempts: z.array(DeliveryAttemptSchema),
  })
  .meta({ id: 'WebhookDelivery' });

export const DeliveryListSchema = z
  .object({ object: z.literal('list'), data: z.array(DeliverySchema) })
  .meta({ id: 'WebhookDeliveryList' });

/** The body of every webhook request (what is signed). */
export const WebhookEventBodySchema = z
  .object({
    type: WebhookEventTypeSchema,
    timestamp: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'WebhookEvent' });

export type CreateWebhook = z.infer<typeof CreateWebhookSchema>;
export type Webhook = z.infer<typeof WebhookSchema>;
export type WebhookWithSecret = z.infer<typeof WebhookWithSecretSchema>;
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;
export type Delivery = z.infer<typeof DeliverySchema>;
