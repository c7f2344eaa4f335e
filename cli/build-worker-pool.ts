import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { FingerprintSetBuilder, type SortedBuilderState } from '../utils/builder';
import { describeError } from '../utils/errors';
import { documentText } from './documents';

/**
 * `leakwatch build` reads and fingerprints documents in several threads, the way ripgrep searches:
 * each thread reads its share of the files, keeps per-document distinct fingerprints and sorts
 * them; workers transfer their typed arrays to the main thread, which merges the sorted runs
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
  /** Documents each thread read: the main thread's first, then each worker's. */
  documentsByThread: number[];
}

/** By default: past this many, threads mostly add memory (each holds its own runtime and share). */
export const DEFAULT_MAX_JOBS = 8;
/** What --jobs accepts. */
export const MAX_JOBS = 64;
/** A worker costs a few tenths of a second to start (Node, tsx): below this much text per thread, fewer threads finish sooner. */
const BYTES_PER_THREAD = 8e6;
/** Batches shrink as the queue empties (guided scheduling) but stay big enough that messages cost nothing. */
const MIN_BATCH_BYTES = 256e3;
/**
 * The main thread answers workers only between its own batches: past about 0.1 s of reading, a
 * worker done with its batch in hand would wait for the next (10 MB batches cost 0.3 s on 100 MB).
 */
const MAX_BATCH_BYTES = 2e6;
/** A thread's share dealt out up front, as a fraction of an even split: 1/8. */
const RESERVED_FRACTION = 8;

export function defaultJobs(): number {
  return Math.max(1, Math.min(DEFAULT_MAX_JOBS, os.availableParallelism()));
}

/**
 * Reads one file into the builder. The same code runs in workers and in the main thread, so a bad
 * file gives the same one-line error in either.
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
  | { kind: 'ready' }
  | { kind: 'progress'; seen: BuildProgress }
  | { kind: 'state'; state: SortedBuilderState }
  | { kind: 'failed'; message: string };

/**
 * Shares the files among the threads. Each is dealt a small share up front (an eighth of an even
 * split, at most one batch, at least one file), so that every thread reads some whatever its
 * start-up time; the rest goes batch by batch to whichever thread asks, in batches that shrink as
 * the queue empties (guided scheduling), so that threads slowed by start-up or a busy machine still
 * finish together. (With half dealt up front, a worker that took a second to start finished 0.4 s
 * after the main thread on 100 MB.)
 */
class WorkQueue {
  readonly reserved: DocumentFile[][] = [];
  private next = 0;
  private queuedBytes: number;

  constructor(
    private readonly files: DocumentFile[],
    private readonly threads: number,
  ) {
    const total = files.reduce((sum, f) => sum + f.bytes, 0);
    const share = Math.min(MAX_BATCH_BYTES, total / threads / RESERVED_FRACTION);
    for (let t = 0; t < threads; t++) {
      const mine: DocumentFile[] = [];
      let bytes = 0;
      // At least one file each, and at least one left for each thread after this one.
      while (this.next < files.length - (threads - t - 1) && (mine.length === 0 || bytes < share)) {
        const entry = files[this.next++]!;
        mine.push(entry);
        bytes += entry.bytes;
      }
      this.reserved.push(mine);
    }
    this.queuedBytes = files.slice(this.next).reduce((sum, f) => sum + f.bytes, 0);
  }

  /** The next batch of the shared rest; empty when every file has been handed out. */
  take(): DocumentFile[] {
    const target = Math.min(
      MAX_BATCH_BYTES,
      Math.max(MIN_BATCH_BYTES, this.queuedBytes / (this.threads * 4)),
    );
    const batch: DocumentFile[] = [];
    let bytes = 0;
    while (this.next < this.files.length && (batch.length === 0 || bytes < target)) {
      const entry = this.files[this.next++]!;
      batch.push(entry);
      bytes += entry.bytes;
    }
    this.queuedBytes -= bytes;
    return batch;
  }
}

const nothingRead = (): BuildProgress => ({ documents: 0, bytes: 0, skipped: 0 });

/**
 * Fingerprints every file in `jobs` threads: this one and jobs - 1 workers. The main thread
 * reads too: it is ready at once, where a worker first spends a few tenths of a second starting
 * Node and tsx, and it would otherwise sit idle. Without `jobs`, one thread per core (up to
 * DEFAULT_MAX_JOBS) and per BYTES_PER_THREAD of input, so a small folder does not wait for workers
 * to start; never more threads than files.
 */
export async function fingerprintDocuments(
  files: DocumentFile[],
  options: { k: number; w: number; jobs?: number; onProgress?: (seen: BuildProgress) => void },
): Promise<FingerprintedDocuments> {
  const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const wanted = options.jobs ?? Math.min(defaultJobs(), Math.floor(totalBytes / BYTES_PER_THREAD));
  const threads = Math.max(1, Math.min(wanted, files.length));
  const queue = new WorkQueue(files, threads);
  const seen = nothingRead();
  const documentsByThread = new Array<number>(threads).fill(0);
  const report = (thread: number, batch: BuildProgress) => {
    seen.documents += batch.documents;
    seen.bytes += batch.bytes;
    seen.skipped += batch.skipped;
    documentsByThread[thread]! += batch.documents;
    options.onProgress?.(seen);
  };
  const builder = new FingerprintSetBuilder({ k: options.k, w: options.w });
  const workers = startWorkers(queue, builder, report, options);
  try {
    const own = new FingerprintSetBuilder({ k: options.k, w: options.w });
    let ownBytes = 0;
    for (let batch = queue.reserved[0]!; batch.length > 0; batch = queue.take()) {
      const read = nothingRead();
      for (const entry of batch) addDocumentFile(own, entry, read);
      ownBytes += read.bytes;
      report(0, read);
      // Workers ask for their next batch through this thread's event loop.
      if (threads > 1) await new Promise((resolve) => setImmediate(resolve));
      workers.throwIfFailed();
    }
    workers.finishAll();
    // Sorted while the workers finish theirs, into a buffer their shares are merged into.
    const othersPerOwn = threads > 1 ? Math.max(0, totalBytes - ownBytes) / Math.max(1, ownBytes) : 0;
    builder.absorb(own.takeSortedState(othersPerOwn));
    await workers.done;
  } finally {
    workers.stop();
  }
  return { builder, ...seen, documentsByThread };
}

interface Workers {
  /** Settles when every worker has handed over its state (rejects on the first failure). */
  done: Promise<void>;
  /**
   * Tells every worker, once the queue is empty, to hand over after the batch in hand. The main
   * thread calls it before it sorts its own share: during that sort it answers no message, and a
   * worker waiting for its next batch would wait that long.
   */
  finishAll(): void;
  throwIfFailed(): void;
  stop(): void;
}

/** Threads 1.. of the queue, each a worker that reads its reserved share, then asks for batches. */
function startWorkers(
  queue: WorkQueue,
  builder: FingerprintSetBuilder,
  report: (thread: number, batch: BuildProgress) => void,
  options: { k: number; w: number },
): Workers {
  const count = queue.reserved.length - 1;
  const pool: Worker[] = [];
  const feeders: (() => void)[] = [];
  let failure: Error | undefined;
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The main thread may fail first and never await `done`.
  done.catch(() => {});
  const stop = () => {
    for (const worker of pool) void worker.terminate();
  };
  const fail = (message: string) => {
    if (failure) return;
    failure = new Error(message);
    stop();
    settle!.reject(failure);
  };
  let finished = 0;
  if (count === 0) settle!.resolve();
  for (let thread = 1; thread <= count; thread++) {
    const worker = new Worker(new URL('./build-worker.mjs', import.meta.url), {
      workerData: { k: options.k, w: options.w },
    });
    pool.push(worker);
    let finishing = false;
    let handedOver = false;
    const feed = () => {
      if (finishing) return;
      const files = queue.take();
      finishing = files.length === 0;
      const message: ToWorker = finishing ? { kind: 'finish' } : { kind: 'batch', files };
      worker.postMessage(message);
    };
    feeders.push(feed);
    worker.on('message', (message: FromWorker) => {
      if (failure) return;
      if (message.kind === 'failed') return fail(message.message);
      // One batch ahead, so that a worker does not wait while the main thread reads; but none
      // until it is ready: a worker slow to start must not sit on files the others could read.
      if (message.kind === 'ready') return feed();
      if (message.kind === 'progress') {
        report(thread, message.seen);
        return feed();
      }
      handedOver = true;
      builder.absorb(message.state);
      void worker.terminate();
      if (++finished === count) settle!.resolve();
    });
    worker.on('error', (err) => fail(`build worker failed: ${describeError(err)}`));
    worker.on('exit', (code) => {
      if (!handedOver) fail(`build worker stopped before it finished (exit code ${code})`);
    });
    worker.postMessage({ kind: 'batch', files: queue.reserved[thread]! } satisfies ToWorker);
  }
  return {
    done,
    stop,
    finishAll: () => {
      for (const feed of feeders) feed();
    },
    throwIfFailed: () => {
      if (failure) throw failure;
    },
  };
}
