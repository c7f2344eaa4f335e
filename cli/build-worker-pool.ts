import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { FingerprintSetBuilder, type SortedBuilderState } from '../utils/builder';
import { describeError } from '../utils/errors';
import { documentText } from './documents';

/**
 * `leakwatch build` reads and fingerprints documents in a pool of worker threads, the way ripgrep
 * searches: each worker reads its share of the files, keeps per-document distinct fingerprints,
 * sorts them and transfers the typed arrays back; the main thread merges the sorted runs
 * (FingerprintSetBuilder.absorb + finish). The list does not depend on how the files were shared.
 */

export interface DocumentFile {
  file: string;
  /** Size on disk, to share the work by bytes. */
  bytes: number;
  /** Ordinary text (--background) rather than a leaked document. */
  background: boolean;
}

export interface BuildProgress {
  documents: number;
  /** Bytes of the files read as documents or background. */
  bytes: number;
  /** Files of a type the CLI does not read. */
  skipped: number;
}

export interface FingerprintedDocuments extends BuildProgress {
  builder: FingerprintSetBuilder;
  /** How many worker threads did the reading (0: the main thread did). */
  workers: number;
}

/** By default: past this many, threads mostly add memory (each holds its own runtime and share). */
export const DEFAULT_MAX_JOBS = 8;
/** What --jobs accepts. */
export const MAX_JOBS = 64;
/** A worker costs a few tenths of a second to start (Node, tsx): below this much text per worker, fewer workers finish sooner. */
const BYTES_PER_WORKER = 8e6;
/** Batches shrink as the queue empties (guided scheduling) but stay big enough that messages cost nothing. */
const MIN_BATCH_BYTES = 256e3;

export function defaultJobs(): number {
  return Math.max(1, Math.min(DEFAULT_MAX_JOBS, os.availableParallelism()));
}

/**
 * Reads one file into the builder. The same code runs in workers and, with one job, in the main
 * thread, so a bad file gives the same one-line error either way.
 */
export function addDocumentFile(
  builder: FingerprintSetBuilder,
  entry: DocumentFile,
  seen: BuildProgress,
): void {
  let content: Buffer;
  try {
    content = fs.readFileSync(entry.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read ${entry.file}: ${code === 'ENOENT' ? 'no such file' : (code ?? describeError(err))}`,
    );
  }
  let text: string | null;
  try {
    text = documentText(entry.file, content.toString('utf8'));
    if (text === null) {
      seen.skipped++;
      return;
    }
    if (entry.background) builder.addBackground(text);
    else builder.addDocument(text);
  } catch (err) {
    throw new Error(`${entry.file}: ${describeError(err)}`);
  }
  seen.bytes += content.length;
  if (!entry.background) seen.documents++;
}

/** Messages between the pool and a worker (cli/build-worker.ts). */
export type ToWorker = { kind: 'batch'; files: DocumentFile[] } | { kind: 'finish' };
export type FromWorker =
  | { kind: 'progress'; seen: BuildProgress }
  | { kind: 'state'; state: SortedBuilderState }
  | { kind: 'failed'; message: string };

/**
 * Fingerprints every file. `jobs` 1 reads in this thread; more starts up to that many workers,
 * never more than there are files. Without `jobs`, one worker per core (up to DEFAULT_MAX_JOBS) and per
 * BYTES_PER_WORKER of input, so a small folder does not wait for workers to start.
 */
export async function fingerprintDocuments(
  files: DocumentFile[],
  options: { k: number; w: number; jobs?: number; onProgress?: (seen: BuildProgress) => void },
): Promise<FingerprintedDocuments> {
  const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const wanted = options.jobs ?? Math.min(defaultJobs(), Math.floor(totalBytes / BYTES_PER_WORKER));
  const workers = Math.min(wanted, files.length);
  const builder = new FingerprintSetBuilder({ k: options.k, w: options.w });
  if (workers <= 1) {
    const seen: BuildProgress = { documents: 0, bytes: 0, skipped: 0 };
    for (const entry of files) {
      addDocumentFile(builder, entry, seen);
      options.onProgress?.(seen);
    }
    return { builder, ...seen, workers: 0 };
  }
  const seen = await runPool(files, totalBytes, workers, builder, options);
  return { builder, ...seen, workers };
}

function runPool(
  files: DocumentFile[],
  totalBytes: number,
  count: number,
  builder: FingerprintSetBuilder,
  options: { k: number; w: number; onProgress?: (seen: BuildProgress) => void },
): Promise<BuildProgress> {
  const seen: BuildProgress = { documents: 0, bytes: 0, skipped: 0 };
  let nextFile = 0;
  let queuedBytes = totalBytes;
  const nextBatch = (): DocumentFile[] => {
    const target = Math.max(MIN_BATCH_BYTES, queuedBytes / (count * 4));
    const batch: DocumentFile[] = [];
    let bytes = 0;
    while (nextFile < files.length && (batch.length === 0 || bytes < target)) {
      const entry = files[nextFile++]!;
      batch.push(entry);
      bytes += entry.bytes;
    }
    queuedBytes -= bytes;
    return batch;
  };
  const pool: Worker[] = [];
  return new Promise<BuildProgress>((resolve, reject) => {
    let finished = 0;
    let failed = false;
    const fail = (message: string) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(new Error(message));
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./build-worker.mjs', import.meta.url), {
        workerData: { k: options.k, w: options.w },
      });
      pool.push(worker);
      let finishing = false;
      let done = false;
      const feed = () => {
        if (finishing) return;
        const files = nextBatch();
        finishing = files.length === 0;
        const message: ToWorker = finishing ? { kind: 'finish' } : { kind: 'batch', files };
        worker.postMessage(message);
      };
      worker.on('message', (message: FromWorker) => {
        if (failed) return;
        if (message.kind === 'failed') return fail(message.message);
        if (message.kind === 'progress') {
          seen.documents += message.seen.documents;
          seen.bytes += message.seen.bytes;
          seen.skipped += message.seen.skipped;
          options.onProgress?.(seen);
          feed();
          return;
        }
        done = true;
        builder.absorb(message.state);
        void worker.terminate();
        if (++finished === count) resolve(seen);
      });
      worker.on('error', (err) => fail(`build worker failed: ${describeError(err)}`));
      worker.on('exit', (code) => {
        if (!done) fail(`build worker stopped before it finished (exit code ${code})`);
      });
      // Two batches in hand: a worker never waits for the main thread to answer.
      feed();
      feed();
    }
  });
}
