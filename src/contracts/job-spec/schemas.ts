/**
 * The exported JobSpec schemas (with the default limits) and {@link createJobSpecSchema} for
 * other limits: job-spec/tasks.ts's builder with job-spec/checks.ts's cross-field checks.
 */
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { minimizeIssues, reinforceIssues, supervisedIssues } from './checks.js';
import { buildTaskSchemas } from './tasks.js';

const checks = { supervisedIssues, minimizeIssues, reinforceIssues };
const buildSchemas = (L: Readonly<Limits>) => buildTaskSchemas(L, checks);

/**
 * The JobSpec schema for a set of limits. `createJobSpecSchema(limitsFromEnv(process.env))` gives a
 * service its own JobSpec schema; the exported `JobSpecSchema` uses {@link DEFAULT_LIMITS}.
 */
export function createJobSpecSchema(limits: Readonly<Limits> = DEFAULT_LIMITS) {
  return buildSchemas(limits).JobSpecSchema;
}

const defaults = buildSchemas(DEFAULT_LIMITS);

export const SupervisedJobSpecSchema = defaults.SupervisedJobSpecSchema;
/** The JobSpec (input) schema with the default limits. Parse with it to get a normalized {@link JobSpec}. */
export const JobSpecSchema = defaults.JobSpecSchema;
