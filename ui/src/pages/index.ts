/**
 * Every page of the dashboard, in matching order (more specific patterns first). A new page is one
 * file exporting a Page and one line here (as the sweeps pages are); a `nav` entry puts it in the
 * top navigation.
 */
import type { Page } from '../router.js';
import { jobsPage } from './jobs.js';
import { newJobPage } from './new-job.js';
import { jobPage } from './job.js';
import { datasetsPage } from './datasets.js';
import { sweepsPage } from './sweeps.js';
import { sweepPage } from './sweep.js';

export const PAGES: readonly Page[] = [jobsPage, newJobPage, jobPage, sweepsPage, sweepPage, datasetsPage];
