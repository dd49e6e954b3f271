/**
 * A process of its own that samples the CPU time of every process on this machine from /proc until
 * told to stop (a line on stdin), then prints one JSON line: per process, its command line and the
 * CPU milliseconds it used while sampled. It runs apart so that sampling is not counted as the
 * work of the process being measured. Processes born while sampled count from zero; one that lives
 * less than a sampling interval is missed.
 */
import { readdirSync, readFileSync } from 'node:fs';

const INTERVAL_MS = 100;
const MS_PER_TICK = 10; // CLK_TCK is 100 on Linux

const seen = new Map<number, { cmdline: string; first: number; last: number }>();

function sample(initial: boolean): void {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: the fields counted from after it.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const known = seen.get(pid);
      if (known) known.last = ticks;
      else
        seen.set(pid, {
          cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim(),
          first: initial ? ticks : 0,
          last: ticks,
        });
    } catch {
      // Gone between the listing and the read.
    }
  }
}

sample(true);
const timer = setInterval(() => sample(false), INTERVAL_MS);
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  clearInterval(timer);
  sample(false);
  const used = [...seen.entries()]
    .map(([pid, p]) => ({ pid, cmdline: p.cmdline, cpuMs: (p.last - p.first) * MS_PER_TICK }))
    .filter((p) => p.cpuMs > 0);
  process.stdout.write(`${JSON.stringify(used)}\n`);
  process.exit(0);
});
