import { once } from 'node:events';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { env } from '../../lib/env.js';

// One consumer in a process of its own, as on Lambda where each invocation is a separate runtime. Once loaded it
// says "ready" and waits for a line on stdin, so a test can start several at the same moment; then it drains the
// queue at the given concurrency, prints its report and when it worked, and exits.
//
// A second argument sets this process's RUNNING_GRACE_SECONDS below the minimum a stage accepts (lib/env.ts), so a
// test sees within seconds what a review's longest wait for a session (half the grace) does.
if (process.argv[3]) Object.assign(env(), { RUNNING_GRACE_SECONDS: Number(process.argv[3]) });
console.log('ready');
await once(process.stdin, 'data');
const startedAt = Date.now();
const report = await drainQueue({ concurrency: Number(process.argv[2] ?? 8) });
console.log(JSON.stringify({ ...report, startedAt, endedAt: Date.now() }));
process.exit(0);
