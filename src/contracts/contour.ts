import { z } from 'zod';

/**
 * `GET /v1/jobs/{id}/contour`: a minimize job's objective sampled on a grid by the server (the
 * dashboard's contour plot). The objective goes through the expression compiler (src/expr), the
 * same one the trainer uses; a browser never evaluates it.
 */

/** Grid size limits: n × n evaluations, so 200 is 40,000 of them (a few ms). */
export const CONTOUR_LIMITS = { minN: 2, maxN: 200, defaultN: 60, maxAbsBound: 1e6 } as const;

const bound = (name: string) =>
  z.coerce
    .number({ error: (iss) => `${name} must be a number, got ${JSON.stringify(iss.input)}` })
    .refine((v) => Number.isFinite(v) && Math.abs(v) <= CONTOUR_LIMITS.maxAbsBound, {
      error: (iss) => `${name} must be finite and within ±${CONTOUR_LIMITS.maxAbsBound}, got ${iss.input}`,
    })
    .optional()
    .meta({ description: `Grid edge (${name}); give all four bounds or none` });

export const ContourQuerySchema = z.object({
  xMin: bound('xMin'),
  xMax: bound('xMax'),
  yMin: bound('yMin'),
  yMax: bound('yMax'),
  n: z.coerce
    .number()
    .int()
    .min(CONTOUR_LIMITS.minN, {
      error: (iss) => `n must be at least ${CONTOUR_LIMITS.minN}, got ${iss.input}`,
    })
    .max(CONTOUR_LIMITS.maxN, {
      error: (iss) => `n is ${iss.input}; the limit is ${CONTOUR_LIMITS.maxN} (n × n evaluations)`,
    })
    .default(CONTOUR_LIMITS.defaultN)
    .meta({ description: `Samples per axis (${CONTOUR_LIMITS.minN}–${CONTOUR_LIMITS.maxN})` }),
});
export type ContourQuery = z.infer<typeof ContourQuerySchema>;

export const ContourSchema = z
  .object({
    jobId: z.string(),
    object: z.literal('contour'),
    variables: z
      .array(z.string())
      .length(2)
      .describe('The two variables, in objective order: the first is x (columns), the second y (rows).'),
    expression: z.string().describe('The objective as compiled (a built-in as its definition).'),
    x: z.array(z.number()).describe('Sample positions along the first variable, ascending.'),
    y: z.array(z.number()).describe('Sample positions along the second variable, ascending.'),
    values: z
      .array(z.array(z.number().nullable()))
      .describe('values[j][i] = objective at (x[i], y[j]); null where it is not finite.'),
    min: z.number().nullable().describe('Smallest finite value (null when none is).'),
    max: z.number().nullable().describe('Largest finite value (null when none is).'),
  })
  .meta({ id: 'Contour' });
export type Contour = z.infer<typeof ContourSchema>;
