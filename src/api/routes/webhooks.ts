import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError, NoContent, ProblemSchema } from '../../contracts/problem.js';
import {
  CreateWebhookSchema,
  DeliveryListQuerySchema,
  DeliveryListSchema,
  DeliveryParamsSchema,
  DeliverySchema,
  WebhookListSchema,
  WebhookParamsSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from '../../contracts/webhook.js';
import { publicWebhook, type EndpointRecord } from '../../queue/webhook-store.js';
import { checkRequestUrl } from '../webhook-url.js';
import type { AppDeps } from '../deps.js';
import { tenantOf } from '../auth.js';
import { jsonResponse } from '../openapi-document.js';

/** `POST/GET/DELETE /webhooks…`: endpoints, secret rotation, the delivery log, redelivery. */
export const webhookRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    const show = async (e: EndpointRecord) => {
      const first = (await deps.webhooks.endpointsOf(e.tenant))[0];
      return publicWebhook(e, first?.id === e.id);
    };
    const load = async (id: string, tenant: string) => {
      const e = await deps.webhooks.getEndpoint(id, tenant);
      if (!e) throw new ApiError('NOT_FOUND', `Webhook ${id} does not exist.`);
      return e;
    };

    app.post(
      '/webhooks',
      {
        schema: {
          operationId: 'createWebhook',
          summary: 'Register a webhook endpoint',
          description:
            'The URL must be https and resolve to public addresses only (checked now and before every delivery). The answer carries the signing secret; it is never shown again (rotate it to get a new one).',
          body: CreateWebhookSchema,
          response: {
            201: jsonResponse(WebhookWithSecretSchema, 'Registered; `secret` is shown only here'),
            400: ProblemSchema,
            409: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req);
        const max = deps.cfg.webhookMaxEndpoints;
        const n = await deps.webhooks.count(tenant);
        if (n >= max)
          throw new ApiError(
            'CONFLICT',
            `This tenant has ${n} webhook endpoints; the limit is ${max} (DESCENT_WEBHOOK_MAX_ENDPOINTS). Delete one first.`,
          );
        await checkRequestUrl(deps, req.body.url, '/url');
        const e = await deps.webhooks.create(tenant, req.body);
        return reply
          .code(201)
          .header('location', `/v1/webhooks/${e.id}`)
          .send({ ...(await show(e)), secret: e.secret });
      },
    );

    app.get(
      '/webhooks',
      {
        schema: {
          operationId: 'listWebhooks',
          summary: "The tenant's webhook endpoints, oldest (the default) first",
          response: { 200: WebhookListSchema },
        },
      },
      async (req) => {
        const all = await deps.webhooks.endpointsOf(tenantOf(req));
        return { object: 'list' as const, data: all.map((e, i) => publicWebhook(e, i === 0)) };
      },
    );

    app.get(
      '/webhooks/:id',
      {
        schema: {
          operationId: 'getWebhook',
          summary: 'One webhook endpoint (without its secret)',
          params: WebhookParamsSchema,
          response: { 200: WebhookSchema, 404: ProblemSchema },
        },
      },
      async (req) => show(await load(req.params.id, tenantOf(req))),
    );

    app.delete(
      '/webhooks/:id',
      {
        schema: {
          operationId: 'deleteWebhook',
          summary: 'Delete a webhook endpoint',
          description: 'Deliveries still waiting for a retry are dropped.',
          params: WebhookParamsSchema,
          response: { 204: NoContent.describe('Deleted'), 404: ProblemSchema },
        },
      },
      async (req, reply) => {
        if (!(await deps.webhooks.remove(req.params.id, tenantOf(req))))
          throw new ApiError('NOT_FOUND', `Webhook ${req.params.id} does not exist.`);
        return reply.code(204).send();
      },
    );

    app.post(
      '/webhooks/:id/rotate-secret',
      {
        schema: {
          operationId: 'rotateWebhookSecret',
          summary: 'Replace the signing secret',
          description:
            'The answer carries the new secret (shown only here). For 24 h every delivery is signed with both the new and the old secret (two space-separated signatures), so receivers can switch without losing a delivery.',
          params: WebhookParamsSchema,
          response: {
            200: jsonResponse(WebhookWithSecretSchema, 'The new secret; the old one signs for 24 h more'),
            404: ProblemSchema,
          },
        },
      },
      async (req) => {
        const e = await deps.webhooks.rotate(req.params.id, tenantOf(req));
        if (!e) throw new ApiError('NOT_FOUND', `Webhook ${req.params.id} does not exist.`);
        return { ...(await show(e)), secret: e.secret };
      },
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        schema: {
          operationId: 'listWebhookDeliveries',
          summary: 'Recent deliveries of an endpoint, newest first, with every attempt',
          description:
            "Each delivery lists its attempts (status code, latency, error, the start of the response) and the next retry's time. Deliveries of jobs that carry their own `webhook` are logged under the default endpoint.",
          params: WebhookParamsSchema,
          querystring: DeliveryListQuerySchema,
          response: { 200: DeliveryListSchema, 404: ProblemSchema },
        },
      },
      async (req) => {
        const e = await load(req.params.id, tenantOf(req));
        return { object: 'list' as const, data: await deps.webhooks.deliveries(e.id, req.query.limit) };
      },
    );

    app.post(
      '/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        schema: {
          operationId: 'redeliverWebhook',
          summary: 'Send an ended delivery again',
          description:
            'One more attempt, with the same `webhook-id` and body (receivers de-duplicate on the id). Only for a delivery that has ended (delivered, failed or skipped); 409 while it is still being retried.',
          params: DeliveryParamsSchema,
          response: {
            202: jsonResponse(DeliverySchema, 'Queued for one more attempt'),
            404: ProblemSchema,
            409: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const e = await load(req.params.id, tenantOf(req));
        const id = req.params.deliveryId;
        const before = await deps.webhooks.delivery(e.id, id);
        if (!before) throw new ApiError('NOT_FOUND', `Delivery ${id} of webhook ${e.id} does not exist.`);
        const n = await deps.webhooks.reopen(id);
        if (n === null)
          throw new ApiError(
            'CONFLICT',
            `Delivery ${id} is ${before.status}: it is still being tried; redeliver it once it has ended.`,
          );
        await deps.webhookQueue.redeliver(id, n);
        return reply.code(202).send((await deps.webhooks.delivery(e.id, id))!);
      },
    );
  };
