/**
 * Every `descent` command, in the order `descent --help` lists them. A new command is one file in
 * this folder exporting a Command, and its line here.
 */
import type { Command } from '../command.js';
import { cancel } from './cancel.js';
import { datasets } from './datasets.js';
import { events } from './events.js';
import { job, jobs } from './jobs.js';
import { predict } from './predict.js';
import { sweep } from './sweep.js';
import { train } from './train.js';
import { weights } from './weights.js';

export const COMMANDS: Command[] = [train, jobs, job, events, cancel, weights, predict, datasets, sweep];
