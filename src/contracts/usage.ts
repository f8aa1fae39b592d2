/**
 * `GET /v1/usage`: a tenant's consumption against its quotas (api-v1.1.md, "Keys, scopes, usage").
 * The period is the current UTC day: compute seconds are counted per UTC day, stored bytes are a
 * level (what is stored now), and `jobs` counts the jobs submitted in the period and running now.
 */
import { z } from 'zod';

export const UsageSchema = z
  .object({
    tenant: z.string().meta({ example: 'default' }),
    period: z
      .object({
        start: z.iso.datetime().meta({ description: 'Start of the current UTC day (inclusive)' }),
        end: z.iso
          .datetime()
          .meta({ description: 'Start of the next UTC day: when the compute quota resets' }),
      })
      .meta({ description: 'The UTC day computeSeconds and jobs.submitted count' }),
    computeSeconds: z.number().nonnegative().meta({
      description:
        "Training run time of the tenant's jobs in the period, recorded by the workers as they train (every attempt counted once; a resumed attempt does not count the crashed one again)",
      example: 42.5,
    }),
    computeSecondsQuota: z
      .number()
      .nullable()
      .meta({
        description: 'DESCENT_QUOTA_COMPUTE_SECONDS_PER_DAY (or the tenant override); null: no quota',
      }),
    storedBytes: z.number().int().nonnegative().meta({
      description:
        'Bytes the tenant stores now: uploaded datasets, the weights of its jobs and their checkpoints',
    }),
    storedBytesQuota: z
      .number()
      .nullable()
      .meta({ description: 'DESCENT_QUOTA_STORED_BYTES (or the tenant override); null: no quota' }),
    jobs: z.object({
      submitted: z.number().int().nonnegative().meta({ description: 'Jobs created in the period' }),
      running: z.number().int().nonnegative().meta({ description: 'Jobs running (or cancelling) now' }),
    }),
  })
  .meta({ id: 'Usage' });

export type Usage = z.infer<typeof UsageSchema>;

/** The UTC day holding `now`: `[start, end)`, as ISO strings and the day's `YYYY-MM-DD` name. */
export function utcDay(now: number): { day: string; start: string; end: string; endMs: number } {
  const startMs = Math.floor(now / 86_400_000) * 86_400_000;
  const start = new Date(startMs).toISOString();
  return {
    day: start.slice(0, 10),
    start,
    end: new Date(startMs + 86_400_000).toISOString(),
    endMs: startMs + 86_400_000,
  };
}

/** `GET /v1/usage` query: `tenant` for an `admin` key (another key may name only its own). */
export const UsageQuerySchema = z.object({
  tenant: z
    .string()
    .max(256)
    .regex(/^[^\s:,]+$/, 'expected a tenant name (no whitespace, ":" or ",")')
    .optional()
    .meta({
      description:
        "`admin` keys: this tenant's usage (absent: the key's own). Other keys may name only their own tenant (another answers 403).",
    }),
});
