import { drainQueue } from '../../lib/consumer/drain-queue.js';

// A consumer in a process of its own, so a test can kill it mid-execution with SIGKILL.
await drainQueue({ concurrency: 1 });
process.exit(0);
