// A worker thread starts without the module hooks bin/leakwatch.mjs (or vitest) installed in the
// main thread, so it registers tsx itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./build-worker.ts');
