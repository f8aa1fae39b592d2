import type { Redis, Result } from 'ioredis';

/**
 * Lua scripts that move a job between states. Each runs atomically inside Redis, so the job hash,
 * its stream and its weights never disagree, and a stale attempt (a worker that lost its lock) can
 * no longer write: every worker-side script checks the attempt number first.
 *
 * Status events are built here in Lua so that the attempt they carry is the one just written.
 */
const STATUS_EVENT = `
local function statusEvent(id, attempt, now, status)
  return '{"type":"status","jobId":"' .. id .. '","attempt":' .. attempt .. ',"time":"' .. now .. '","status":"' .. status .. '"}'
end
local function terminal(s)
  return s == 'succeeded' or s == 'failed' or s == 'cancelled'
end
`;

/** Entries a tenant's job status feed keeps (MAXLEN ~): a page that was away longer reloads. */
export const JOB_FEED_MAXLEN = 10_000;

/**
 * The tenant's job status feed (keys.jobFeed, served by `GET /v1/jobs/events`): every status event
 * of a job is also appended there, in the same script that changes the status, so the feed and the
 * jobs never disagree. Its key is derived here from the job key and the hash's tenant, not passed
 * in KEYS: the worker-side callers do not know the tenant. It shares the job key's prefix, so with
 * the default `{descent}` hash tag it is in the same Cluster slot as everything else a script touches.
 * Deleting a job (DELETE_JOB) removes its entries from the feed. Like the jobs it follows, it expires
 * `retentionMs` after the last job of the tenant ended (each end sets it again), so a quiet tenant's
 * feed goes away with its jobs' data; a client resuming into a feed gone or trimmed gets a 409.
 */
const FEED = `
local function feed(jobKey, id, data, retentionMs)
  local tenant = redis.call('HGET', jobKey, 'tenant') or 'default'
  local key = string.sub(jobKey, 1, #jobKey - #id - 5) .. ':job-feed:' .. tenant
  redis.call('XADD', key, 'MAXLEN', '~', '${JOB_FEED_MAXLEN}', '*', 'type', 'status', 'data', data)
  -- A job's end restarts the feed's retention clock (0: kept, within the cap, for ever).
  if retentionMs then
    local ttl = tonumber(retentionMs)
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
  end
end
-- A deleted job leaves no trace: its entries go from the feed too (a scan of at most the cap).
local function unfeed(jobKey, id, tenant)
  local key = string.sub(jobKey, 1, #jobKey - #id - 5) .. ':job-feed:' .. tenant
  local needle = '"jobId":"' .. id .. '"'
  for _, e in ipairs(redis.call('XRANGE', key, '-', '+')) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'data' and string.find(f[i + 1], needle, 1, true) then redis.call('XDEL', key, e[1]) end
    end
  end
end
`;

/**
 * The webhook outbox (keys.webhookOutbox): the job event for webhooks, appended in the same script
 * that changes the job, so the job and its event never disagree (an ended job always has its
 * event, even if the process dies right after). The entry carries what the dispatcher needs even
 * when the job is deleted first: tenant, and the spec's own `webhook` (copied onto the hash at
 * creation). MAXLEN is a safety cap only (the dispatcher deletes what it handled).
 */
const OUTBOX = `
local function outbox(key, jobKey, etype, id, now, attempt)
  redis.call('XADD', key, 'MAXLEN', '~', '1000000', '*', 'type', etype, 'jobId', id,
    'tenant', redis.call('HGET', jobKey, 'tenant') or 'default', 'time', now, 'attempt', attempt,
    'webhook', redis.call('HGET', jobKey, 'webhook') or '')
end
`;

/**
 * Exactly-once writes across reconnects: a worker numbers its writes (per attempt), and a write
 * whose number is not above the last one applied is a resend of one already done (ioredis resends
 * unanswered commands after a reconnect; the first may have run before the connection dropped).
 */
const SEQ_CHECK = `
local function duplicate(key, seq)
  if seq == nil or seq == '' then return false end
  local n = tonumber(seq)
  if n <= tonumber(redis.call('HGET', key, 'writeSeq') or '0') then return true end
  redis.call('HSET', key, 'writeSeq', n)
  return false
end
`;

/**
 * KEYS job, stream, webhookOutbox · ARGV now, maxlen, jobId, worker, maxStarts, pid → {verdict, attempt}; verdict
 * run | cancel | done | missing | exhausted. Every start takes a new attempt number: that number is
 * the fencing token every later write of the run must present. `starts` counts starts that were
 * not hand-backs (see REQUEUE_JOB); past `maxStarts` (0 = no cap) the job is given up (a job that
 * kills every worker it lands on must not loop for ever).
 */
const START_JOB =
  STATUS_EVENT +
  FEED +
  OUTBOX +
  `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if terminal(status) then return {'done', 0} end
-- A paused sweep trial waits for its sweep's decision; a stray queue entry must not retrain it.
if status == 'paused' then return {'done', 0} end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempt', 1)
local starts = redis.call('HINCRBY', KEYS[1], 'starts', 1)
redis.call('HSET', KEYS[1], 'worker', ARGV[4], 'pid', ARGV[6])
if status == 'cancelling' then return {'cancel', attempt} end
local cap = tonumber(ARGV[5])
if cap > 0 and starts > cap then return {'exhausted', attempt} end
redis.call('HSET', KEYS[1], 'status', 'running', 'writeSeq', 0)
redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', 'status', 'data', statusEvent(ARGV[3], attempt, ARGV[1], 'running'))
feed(KEYS[1], ARGV[3], statusEvent(ARGV[3], attempt, ARGV[1], 'running'))
outbox(KEYS[3], KEYS[1], 'job.running', ARGV[3], ARGV[1], attempt)
return {'run', attempt}
`;

/**
 * KEYS job, stream · ARGV attempt, maxlen, type, data, progressJson|'', seq|'' → id, 'dup' (a
 * resend of a write already applied), or nil (stale attempt).
 */
const APPEND_EVENT =
  SEQ_CHECK +
  `
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return false end
if redis.call('HGET', KEYS[1], 'status') ~= 'running' and redis.call('HGET', KEYS[1], 'status') ~= 'cancelling' then return false end
if duplicate(KEYS[1], ARGV[6]) then return 'dup' end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', ARGV[3], 'data', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'progress', ARGV[5]) end
return id
`;

/**
 * KEYS job, stream, checkpoint, checkpoints, blobs · ARGV attempt, blob, metaJson, keep, ttlMs,
 * maxlen, eventData, seq|'', step → the checkpoint event's id ('dup' for a resend), or nil when
 * the attempt is stale (or the job no longer
 * runs). One script: the blob replaces the previous one in a single SET (a reader sees the old or
 * the new checkpoint, never part of one), its metadata joins the newest-first list (trimmed to
 * `keep`), the blob is also kept by step in `blobs` (for forks; a step that drops off the list
 * drops its blob unless a kept entry has the same step), and the `checkpoint` event is appended,
 * all or nothing, and only for the current attempt.
 */
const SAVE_CHECKPOINT =
  SEQ_CHECK +
  `
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return false end
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'running' and st ~= 'cancelling' then return false end
if duplicate(KEYS[1], ARGV[8]) then return 'dup' end
local ttl = tonumber(ARGV[5])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ttl)
redis.call('LPUSH', KEYS[4], ARGV[3])
redis.call('HSET', KEYS[5], ARGV[9], ARGV[2])
local keep = tonumber(ARGV[4])
local dropped = redis.call('LRANGE', KEYS[4], keep, -1)
if #dropped > 0 then
  local kept = {}
  for _, m in ipairs(redis.call('LRANGE', KEYS[4], 0, keep - 1)) do kept[tostring(cjson.decode(m).step)] = true end
  for _, m in ipairs(dropped) do
    local st = tostring(cjson.decode(m).step)
    if not kept[st] then redis.call('HDEL', KEYS[5], st) end
  end
end
redis.call('LTRIM', KEYS[4], 0, keep - 1)
redis.call('PEXPIRE', KEYS[4], ttl)
redis.call('PEXPIRE', KEYS[5], ttl)
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'type', 'checkpoint', 'data', ARGV[7])
`;

/**
 * KEYS job, stream, weights, checkpoint, checkpoints, blobs, init, webhookOutbox · ARGV attempt
 * ('*' = any), status, now, resultJson, errorJson, weightsBytes|'', weightsSha, maxlen, retentionMs,
 * jobId, checkpointRetentionMs → 1 when this call finished the job, 0 when it was already finished or
 * the attempt is stale. The checkpoint blobs stay `checkpointRetentionMs` (0: dropped now) for forks.
 */
const FINISH_JOB =
  STATUS_EVENT +
  FEED +
  OUTBOX +
  `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur or terminal(cur) then return 0 end
local attempt = redis.call('HGET', KEYS[1], 'attempt') or '0'
if ARGV[1] ~= '*' and attempt ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'finishedAt', ARGV[3], 'result', ARGV[4], 'error', ARGV[5])
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[3], ARGV[6])
  redis.call('HSET', KEYS[1], 'weightsSha256', ARGV[7], 'weightsBytes', string.len(ARGV[6]))
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'type', 'status', 'data', statusEvent(ARGV[10], attempt, ARGV[3], ARGV[2]))
feed(KEYS[1], ARGV[10], statusEvent(ARGV[10], attempt, ARGV[3], ARGV[2]), ARGV[9])
local endData = '{"type":"end","jobId":"' .. ARGV[10] .. '","attempt":' .. attempt .. ',"time":"' .. ARGV[3] .. '","status":"' .. ARGV[2] .. '","result":' .. ARGV[4] .. ',"error":' .. ARGV[5] .. '}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'type', 'end', 'data', endData)
outbox(KEYS[8], KEYS[1], 'job.' .. ARGV[2], ARGV[10], ARGV[3], attempt)
-- The blob only serves a resume; the checkpoint list (metadata) stays as long as the job.
redis.call('DEL', KEYS[4], KEYS[7])
local cpTtl = tonumber(ARGV[11])
if cpTtl > 0 then redis.call('PEXPIRE', KEYS[6], cpTtl) else redis.call('DEL', KEYS[6]) end
local ttl = tonumber(ARGV[9])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[5], ttl)
  -- Also weights stored earlier (a paused sweep trial that is cancelled keeps them).
  redis.call('PEXPIRE', KEYS[3], ttl)
else
  redis.call('PERSIST', KEYS[5])
end
return 1
`;

/** KEYS job, stream · ARGV now, maxlen, jobId → new status ('cancelling') or the unchanged one; nil if missing. */
const REQUEST_CANCEL =
  STATUS_EVENT +
  FEED +
  `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return false end
if cur ~= 'queued' and cur ~= 'running' then return cur end
local attempt = redis.call('HGET', KEYS[1], 'attempt') or '0'
redis.call('HSET', KEYS[1], 'status', 'cancelling')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', 'status', 'data', statusEvent(ARGV[3], attempt, ARGV[1], 'cancelling'))
feed(KEYS[1], ARGV[3], statusEvent(ARGV[3], attempt, ARGV[1], 'cancelling'))
return 'cancelling'
`;

/**
 * KEYS job, stream · ARGV attempt, now, maxlen, jobId → 1 when the running job went back to
 * `queued` (its worker is shutting down; the next attempt resumes from the checkpoint), else 0.
 */
const REQUEUE_JOB =
  STATUS_EVENT +
  FEED +
  `
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'queued')
redis.call('HINCRBY', KEYS[1], 'starts', -1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', 'status', 'data', statusEvent(ARGV[4], ARGV[1], ARGV[2], 'queued'))
feed(KEYS[1], ARGV[4], statusEvent(ARGV[4], ARGV[1], ARGV[2], 'queued'))
return 1
`;

/**
 * KEYS job, stream, weights, checkpoint, checkpoints, jobIndex, active, idempotency, blobs, init · ARGV jobId,
 * tenant, '1' when KEYS[8] is the job's Idempotency-Key record ('' when it had none) →
 * 'deleted', 'missing' (unknown, or another tenant's), or the job's status when it is not finished
 * (nothing is touched). Everything the job owns goes in one script, so no reader ever sees half a
 * job; the Idempotency-Key record goes only while it still names this job.
 */
const DELETE_JOB =
  STATUS_EVENT +
  FEED +
  `
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[2] then return 'missing' end
local st = redis.call('HGET', KEYS[1], 'status')
if not terminal(st) then return st end
if ARGV[3] == '1' then
  local raw = redis.call('GET', KEYS[8])
  if raw then
    local ok, rec = pcall(cjson.decode, raw)
    if ok and type(rec) == 'table' and rec.jobId == ARGV[1] then redis.call('DEL', KEYS[8]) end
  end
end
unfeed(KEYS[1], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[9], KEYS[10])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
return 'deleted'
`;

/**
 * KEYS job, stream, weights · ARGV attempt, now, resultJson, weightsBytes, weightsSha, maxlen,
 * jobId → 1 when the running trial went to `paused` (result and weights as of its segment's last
 * epoch stored; its checkpoint blob is kept: the next segment resumes from it), else 0 (stale
 * attempt, or the job no longer runs: a cancel won).
 */
const PAUSE_JOB =
  STATUS_EVENT +
  FEED +
  `
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'paused', 'result', ARGV[3], 'weightsSha256', ARGV[5], 'weightsBytes', string.len(ARGV[4]))
redis.call('SET', KEYS[3], ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'type', 'status', 'data', statusEvent(ARGV[7], ARGV[1], ARGV[2], 'paused'))
feed(KEYS[1], ARGV[7], statusEvent(ARGV[7], ARGV[1], ARGV[2], 'paused'))
return 1
`;

/**
 * KEYS job, stream · ARGV rung, untilEpoch, now, maxlen, jobId → 'promoted' (paused at rung − 1,
 * now `queued` for rung), 'already' (already at that rung: a repeated promote), or 'no'.
 */
const PROMOTE_JOB =
  STATUS_EVENT +
  FEED +
  `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'no' end
local seg = tonumber(redis.call('HGET', KEYS[1], 'segRung') or '-1')
local rung = tonumber(ARGV[1])
if seg == rung then return 'already' end
if st ~= 'paused' or seg ~= rung - 1 then return 'no' end
local attempt = redis.call('HGET', KEYS[1], 'attempt') or '0'
redis.call('HSET', KEYS[1], 'status', 'queued', 'segRung', ARGV[1], 'untilEpoch', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'type', 'status', 'data', statusEvent(ARGV[5], attempt, ARGV[3], 'queued'))
feed(KEYS[1], ARGV[5], statusEvent(ARGV[5], attempt, ARGV[3], 'queued'))
return 'promoted'
`;

/**
 * KEYS job, stream, weights, checkpoint, checkpoints · ARGV now, maxlen, retentionMs, jobId → 1
 * when the paused trial ended `succeeded` with the result and weights of its last rung, else 0.
 */
const STOP_JOB =
  STATUS_EVENT +
  FEED +
  `
if redis.call('HGET', KEYS[1], 'status') ~= 'paused' then return 0 end
local attempt = redis.call('HGET', KEYS[1], 'attempt') or '0'
local result = redis.call('HGET', KEYS[1], 'result') or 'null'
redis.call('HSET', KEYS[1], 'status', 'succeeded', 'finishedAt', ARGV[1], 'error', 'null')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', 'status', 'data', statusEvent(ARGV[4], attempt, ARGV[1], 'succeeded'))
feed(KEYS[1], ARGV[4], statusEvent(ARGV[4], attempt, ARGV[1], 'succeeded'), ARGV[3])
local endData = '{"type":"end","jobId":"' .. ARGV[4] .. '","attempt":' .. attempt .. ',"time":"' .. ARGV[1] .. '","status":"succeeded","result":' .. result .. ',"error":null}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', 'end', 'data', endData)
redis.call('DEL', KEYS[4])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[5], ttl)
end
return 1
`;

/**
 * KEYS job, jobIndex, stream · ARGV jobId, eventData, maxlen, field, value, … → 1 when the job was
 * created, 0 when one with this id exists (nothing written).
 */
const CREATE_JOB_NX =
  FEED +
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'type', 'status', 'data', ARGV[2])
feed(KEYS[1], ARGV[1], ARGV[2])
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    descentStartJob(
      job: string,
      stream: string,
      outbox: string,
      now: string,
      maxlen: number,
      jobId: string,
      worker: string,
      maxStarts: number,
      pid: number,
    ): Result<[string, number], Context>;
    descentAppendEvent(
      job: string,
      stream: string,
      attempt: number,
      maxlen: number,
      type: string,
      data: string,
      progress: string,
      seq: number | '',
    ): Result<string | null, Context>;
    descentSaveCheckpoint(
      job: string,
      stream: string,
      checkpoint: string,
      checkpoints: string,
      blobs: string,
      attempt: number,
      blob: string,
      meta: string,
      keep: number,
      ttlMs: number,
      maxlen: number,
      eventData: string,
      seq: number | '',
      step: number,
    ): Result<string | null, Context>;
    descentFinishJob(
      job: string,
      stream: string,
      weights: string,
      checkpoint: string,
      checkpoints: string,
      blobs: string,
      init: string,
      outbox: string,
      attempt: string,
      status: string,
      now: string,
      resultJson: string,
      errorJson: string,
      weightsBytes: Buffer | string,
      weightsSha: string,
      maxlen: number,
      retentionMs: number,
      jobId: string,
      checkpointRetentionMs: number,
    ): Result<number, Context>;
    descentCreateJobNx(
      job: string,
      jobIndex: string,
      stream: string,
      jobId: string,
      eventData: string,
      maxlen: number,
      ...fields: string[]
    ): Result<number, Context>;
    descentPauseJob(
      job: string,
      stream: string,
      weights: string,
      attempt: string,
      now: string,
      resultJson: string,
      weightsBytes: Buffer,
      weightsSha: string,
      maxlen: number,
      jobId: string,
    ): Result<number, Context>;
    descentPromoteJob(
      job: string,
      stream: string,
      rung: number,
      untilEpoch: number,
      now: string,
      maxlen: number,
      jobId: string,
    ): Result<string, Context>;
    descentStopJob(
      job: string,
      stream: string,
      weights: string,
      checkpoint: string,
      checkpoints: string,
      now: string,
      maxlen: number,
      retentionMs: number,
      jobId: string,
    ): Result<number, Context>;
    descentRequeueJob(
      job: string,
      stream: string,
      attempt: number,
      now: string,
      maxlen: number,
      jobId: string,
    ): Result<number, Context>;
    descentDeleteJob(
      job: string,
      stream: string,
      weights: string,
      checkpoint: string,
      checkpoints: string,
      jobIndex: string,
      active: string,
      idempotency: string,
      blobs: string,
      init: string,
      jobId: string,
      tenant: string,
      hasIdempotency: '1' | '',
    ): Result<string, Context>;
    descentRequestCancel(
      job: string,
      stream: string,
      now: string,
      maxlen: number,
      jobId: string,
    ): Result<string | null, Context>;
  }
}

/** Register the scripts on a connection (idempotent; ioredis caches them by SHA). */
export function defineScripts(r: Redis): Redis {
  if ((r as unknown as { descentStartJob?: unknown }).descentStartJob) return r;
  r.defineCommand('descentStartJob', { numberOfKeys: 3, lua: START_JOB });
  r.defineCommand('descentAppendEvent', { numberOfKeys: 2, lua: APPEND_EVENT });
  r.defineCommand('descentSaveCheckpoint', { numberOfKeys: 5, lua: SAVE_CHECKPOINT });
  r.defineCommand('descentFinishJob', { numberOfKeys: 8, lua: FINISH_JOB });
  r.defineCommand('descentRequestCancel', { numberOfKeys: 2, lua: REQUEST_CANCEL });
  r.defineCommand('descentRequeueJob', { numberOfKeys: 2, lua: REQUEUE_JOB });
  r.defineCommand('descentDeleteJob', { numberOfKeys: 10, lua: DELETE_JOB });
  r.defineCommand('descentCreateJobNx', { numberOfKeys: 3, lua: CREATE_JOB_NX });
  r.defineCommand('descentPauseJob', { numberOfKeys: 3, lua: PAUSE_JOB });
  r.defineCommand('descentPromoteJob', { numberOfKeys: 2, lua: PROMOTE_JOB });
  r.defineCommand('descentStopJob', { numberOfKeys: 5, lua: STOP_JOB });
  return r;
}
