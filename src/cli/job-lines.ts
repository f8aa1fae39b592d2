/**
 * The API's half of `npm start`'s terminal lines (the workers print `started on`, `cancelling`
 * and how each job ended): `job job_… queued: supervised` when a job is created. One line per
 * state change, so someone watching the terminal sees every job go by without LOG_LEVEL's
 * request logs.
 */
import type { FastifyInstance } from 'fastify';

/** Log a line for every job this API creates. */
export function logJobsQueued(app: FastifyInstance, log: (line: string) => void): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.method === 'POST' && req.routeOptions.url === '/v1/jobs' && reply.statusCode === 201) {
      try {
        const job = JSON.parse(String(payload)) as { id: string; spec?: { task?: string } };
        log(`job ${job.id} queued: ${job.spec?.task ?? 'supervised'}`);
      } catch {
        /* not a job body: nothing to say */
      }
    }
    return payload;
  });
}
