/** The pure scheduler of src/sweep, in the shape the sweep executor drives. */
import { cancelScheduler, reportSegment, type SchedulerState } from '../sweep/scheduler.js';
import { metricValue } from '../sweep/metric.js';
import type { SweepScheduler } from './sweep-executor.js';

export const sweepScheduler: SweepScheduler = {
  report: (state, seg) => reportSegment(state as SchedulerState, seg),
  cancel: (state) => cancelScheduler(state as SchedulerState),
  metricValue,
};
