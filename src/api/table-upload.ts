/**
 * Table uploads parsed at the door: `text/csv` streamed through the typed CSV parser (the body is
 * never held whole: each chunk is checked, decoded and parsed, then dropped), and
 * `application/vnd.apache.parquet` read with hyparquet (Parquet's index is at the end of the file,
 * so the file is read whole, within the same byte limit). The result waits on the request for the
 * route ({@link uploadedTable}); the body the schema sees is the empty string, so the route's
 * documented `string` body still validates.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../contracts/problem.js';
import { createDatasetSchemas, parseTypesParam } from '../contracts/dataset.js';
import { limitMessage, type Limits } from '../contracts/limits.js';
import { DatasetError } from '../data/index.js';
import { CsvTableParser, parseRowsTable, type Table, type TableOptions } from '../data/table/index.js';
import { firstBadUtf8 } from './body-guard.js';
import { readParquet } from './parquet-read.js';

/** The media type of Parquet uploads (IANA registration of 2024). */
export const PARQUET_MEDIA_TYPE = 'application/vnd.apache.parquet';

/** A parsed upload: the table and the bytes received. */
export interface ParsedUpload {
  table: Table;
  format: 'csv' | 'parquet';
  bytes: number;
}

const parsed = new WeakMap<FastifyRequest, ParsedUpload>();

/** The table a CSV or Parquet body was parsed into, if this request carried one. */
export function uploadedTable(req: FastifyRequest): ParsedUpload | undefined {
  return parsed.get(req);
}

/** A DatasetError as problem+json: 413 for a limit, else 400, at its JSON pointer or column. */
export function datasetProblem(err: unknown): never {
  if (err instanceof DatasetError) {
    const path = err.pointer ?? (err.column ? `/${err.column}` : '/');
    throw new ApiError(err.code === 'TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR', err.message, [
      { path, message: err.message },
    ]);
  }
  throw err;
}

/** Fastify's own "body too large" error, so the message names the limit and its variable as for every route. */
function tooLarge(): Error {
  return Object.assign(new Error('body too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
}

/** 1-based line of byte `offset` of `buf`, counting from `line` at its start. */
function lineIn(buf: Buffer, offset: number, line: number): number {
  for (let i = buf.indexOf(10); i >= 0 && i < offset; i = buf.indexOf(10, i + 1)) line++;
  return line;
}

type UploadLimits = Pick<
  Limits,
  | 'maxDatasetRows'
  | 'maxDatasetBytes'
  | 'maxFeatures'
  | 'maxTargets'
  | 'maxStringLength'
  | 'maxJsonStringLength'
>;

/**
 * The table options of this request's query, or null when the query is invalid (the route's query
 * schema then refuses it, by name, before anything is parsed in vain).
 */
function tableOptions(req: FastifyRequest, limits: Readonly<Limits>, format: string): TableOptions | null {
  const q = createDatasetSchemas(limits).CsvUploadQuerySchema.safeParse(req.query);
  if (!q.success) return null;
  const target = q.data.target?.includes(',') ? q.data.target.split(',').map((s) => s.trim()) : q.data.target;
  return {
    name: q.data.name ?? format,
    target,
    types: parseTypesParam(q.data.types),
    limits: tableLimitsOf(limits),
  };
}

/** Table limits from the service limits: rows, columns (features + targets), cell characters. */
function tableLimitsOf(L: UploadLimits) {
  return {
    maxRows: L.maxDatasetRows,
    maxColumns: L.maxFeatures + L.maxTargets,
    maxCellLength: L.maxJsonStringLength,
  };
}

/**
 * Stream a CSV body through the typed parser: bytes counted against the route's body limit and
 * `maxDatasetBytes`, NUL bytes and invalid UTF-8 refused naming the byte and the line.
 */
function parseCsvStream(
  req: FastifyRequest,
  payload: NodeJS.ReadableStream,
  limits: Readonly<Limits>,
  bodyLimit: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > bodyLimit) return reject(tooLarge());
    const opts = tableOptions(req, limits, 'csv');
    const parser = opts ? new CsvTableParser({ ...opts, maxNameLength: limits.maxStringLength }) : null;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let bytes = 0;
    let settled = false;
    // A content error waits for the end of the body: a body over the limit is a 413 whatever it
    // holds (as when the server buffered it); the rest is counted, not parsed or kept.
    let pending: unknown = null;
    const stop = (err: unknown) => {
      if (settled) return;
      settled = true;
      // The rest of the body is read and dropped by the server, as for its own limit.
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      try {
        datasetProblem(err);
      } catch (e) {
        reject(e as Error);
      }
    };
    const defer = (err: unknown) => {
      pending ??= err;
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      const before = bytes;
      bytes += chunk.length;
      if (bytes > bodyLimit) return stop(tooLarge());
      if (bytes > limits.maxDatasetBytes)
        return stop(
          new ApiError(
            'PAYLOAD_TOO_LARGE',
            limitMessage(
              'The upload has more than',
              `${limits.maxDatasetBytes} bytes`,
              limits,
              'maxDatasetBytes',
            ),
          ),
        );
      // A bad query: drain, and let the schema say what is wrong. A content error: drain too.
      if (!parser || pending) return;
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        const at = before + nul;
        const line = lineIn(chunk, nul, parser.line);
        return defer(
          new ApiError(
            'VALIDATION_ERROR',
            `The CSV contains a NUL byte at byte ${at} (line ${line}); is it a binary file?`,
            [{ path: '/', message: `NUL byte at byte ${at}` }],
          ),
        );
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        const off = Math.max(0, firstBadUtf8(chunk));
        const at = before + off;
        return defer(
          new ApiError(
            'VALIDATION_ERROR',
            `The CSV is not valid UTF-8: byte ${at} (line ${lineIn(chunk, off, parser.line)}) starts an invalid sequence. Save it as UTF-8.`,
            [{ path: '/', message: `invalid UTF-8 at byte ${at}` }],
          ),
        );
      }
      try {
        parser.push(text);
      } catch (err) {
        defer(err);
      }
    };
    const onEnd = () => {
      if (settled) return;
      if (pending) return stop(pending);
      if (!parser) {
        settled = true;
        return resolve('');
      }
      try {
        const tail = decoder.decode();
        if (tail) parser.push(tail);
      } catch {
        return stop(
          new ApiError(
            'VALIDATION_ERROR',
            `The CSV is not valid UTF-8: it ends inside a multi-byte sequence (byte ${bytes - 1}). Save it as UTF-8.`,
            [{ path: '/', message: `invalid UTF-8 at byte ${bytes - 1}` }],
          ),
        );
      }
      try {
        const table = parser.end();
        settled = true;
        parsed.set(req, { table, format: 'csv', bytes });
        resolve('');
      } catch (err) {
        stop(err);
      }
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}

/** Read a Parquet file into a table (in a worker with a deadline; counts checked before any data is decoded). */
async function parseParquet(
  req: FastifyRequest,
  body: Buffer,
  limits: Readonly<Limits>,
  timeoutMs: number,
): Promise<string> {
  const opts = tableOptions(req, limits, 'parquet');
  if (!opts) return '';
  // A copy: the worker takes the bytes over (transfer), the request keeps its buffer.
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  const L = tableLimitsOf(limits);
  const read = await readParquet(file, L, timeoutMs);
  if (!read.ok) {
    const msg = read.message.slice(0, 200);
    throw new ApiError('VALIDATION_ERROR', `The body is not a readable Parquet file: ${msg}`, [
      { path: '/', message: msg },
    ]);
  }
  const { names, rows } = read;
  if (rows > L.maxRows)
    throw new ApiError(
      'PAYLOAD_TOO_LARGE',
      limitMessage('The Parquet file has', `${rows} rows`, limits, 'maxDatasetRows'),
    );
  if (names.length > L.maxColumns)
    throw new ApiError(
      'PAYLOAD_TOO_LARGE',
      `The Parquet file has ${names.length} columns; the limit is ${L.maxColumns}`,
    );
  const data = read.data ?? [];
  try {
    parsed.set(req, {
      table: parseRowsTable(names, data, { ...opts, maxNameLength: limits.maxStringLength }),
      format: 'parquet',
      bytes: body.length,
    });
  } catch (err) {
    datasetProblem(err);
  }
  return '';
}

/** Register the CSV (streaming) and Parquet parsers. `datasetBodyLimit` bounds both; `parquetTimeoutMs` a decode. */
export function registerTableParsers(
  app: FastifyInstance,
  limits: Readonly<Limits>,
  datasetBodyLimit: number,
  parquetTimeoutMs: number,
): void {
  app.addContentTypeParser('text/csv', (req: FastifyRequest, payload: NodeJS.ReadableStream) =>
    parseCsvStream(req, payload, limits, datasetBodyLimit),
  );
  app.addContentTypeParser(
    PARQUET_MEDIA_TYPE,
    { parseAs: 'buffer', bodyLimit: datasetBodyLimit },
    (req: FastifyRequest, body: string | Buffer) =>
      parseParquet(req, typeof body === 'string' ? Buffer.from(body) : body, limits, parquetTimeoutMs),
  );
}
