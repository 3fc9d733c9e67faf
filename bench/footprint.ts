// `npm run bench:footprint`: rows 13 (start time) and 12 (memory) alone, without the other benchmarks' setup.
import { memory, startTime } from './benchmarks/footprint.js';
import type { BenchContext } from './context.js';

// Neither row uses the context: each starts `npm start`'s command in a fresh directory of its own.
const ctx = {} as BenchContext;
await startTime(ctx);
await memory(ctx);
