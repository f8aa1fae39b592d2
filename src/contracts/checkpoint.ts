import { z } from 'zod';

/** One saved checkpoint of a job, as `GET /v1/jobs/{id}/checkpoints` lists it. */
export const CheckpointInfoSchema = z
  .object({
    step: z.number().int().describe('Optimizer steps done when it was saved.'),
    epoch: z.number().int().describe('Completed epochs (minimize: steps; reinforce: episodes).'),
    loss: z.number().nullable().describe('The last training loss reported before it (null if none).'),
    attempt: z.number().int().describe('The attempt that wrote it.'),
    time: z.string().describe('When it was saved (ISO 8601).'),
    bytes: z.number().int().describe('Size of the saved state.'),
  })
  .meta({ id: 'CheckpointInfo' });
export type CheckpointInfo = z.infer<typeof CheckpointInfoSchema>;

export const CheckpointListSchema = z
  .object({
    jobId: z.string(),
    object: z.literal('list'),
    data: z
      .array(CheckpointInfoSchema)
      .describe(
        'Newest first; the metadata of the last DESCENT_CHECKPOINT_KEEP checkpoints. Only the newest state is kept (a restarted job resumes from it, bit for bit); it is dropped when the job ends.',
      ),
  })
  .meta({ id: 'CheckpointList' });
export type CheckpointList = z.infer<typeof CheckpointListSchema>;
