import { ApiError } from '../contracts/problem.js';
import { checkWebhookUrl, WebhookUrlError } from '../webhooks/address-guard.js';
import type { AppDeps } from './deps.js';

/**
 * The SSRF check of a URL a request gives (src/webhooks/address-guard.ts): a 400 naming the
 * rule, at `path` (`/url`, or `/webhook/url` in a job spec). Resolves the name with the deps'
 * resolver; nothing is connected to.
 */
export async function checkRequestUrl(deps: AppDeps, raw: string, path: string): Promise<void> {
  try {
    await checkWebhookUrl(
      raw,
      { allowHttp: deps.cfg.webhookAllowHttp, allowPrivate: deps.cfg.webhookAllowPrivate },
      deps.resolveHost,
    );
  } catch (err) {
    if (!(err instanceof WebhookUrlError)) throw err;
    throw new ApiError('VALIDATION_ERROR', `${path.slice(1)} is refused (rule ${err.rule}): ${err.message}`, [
      { path, message: `refused (${err.rule}): ${err.message}` },
    ]);
  }
}
