/**
 * A job's own webhook (issue 17): `webhook: { url, events }` in any task's spec. Its deliveries are
 * signed with the tenant's default endpoint's secret (the oldest registered endpoint) and logged
 * in that endpoint's delivery log. The scheme and address rules are checked by the API when the
 * job is created (src/api/routes/jobs.ts → src/webhooks/address-guard.ts), and at delivery.
 */
import { z } from 'zod';
import { JOB_WEBHOOK_EVENT_TYPES, WebhookUrlSchema, eventList } from '../webhook.js';

export const JobWebhookSchema = z
  .strictObject({
    url: WebhookUrlSchema,
    events: eventList(z.enum(JOB_WEBHOOK_EVENT_TYPES)).default([
      'job.succeeded',
      'job.failed',
      'job.cancelled',
    ]),
  })
  .describe(
    "Where to send this job's events (in addition to the tenant's endpoints), signed with the tenant's default endpoint secret. events default: the three endings.",
  );

export type JobWebhook = z.infer<typeof JobWebhookSchema>;
