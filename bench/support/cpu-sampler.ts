/**
 * A process of its own that samples the CPU time of every process on this machine from /proc until
 * told to stop (a line on stdin), then prints one JSON line: per process, its command lines (joined
 * with ' | ') and the CPU milliseconds it used while sampled; and the whole machine's busy time over
 * the same span, which also counts what no process is charged with (the kernel's network work on
 * loopback). It runs apart so that sampling is not counted as the work of the process being
 * measured. Processes born while sampled count from zero; one that lives less than a sampling
 * interval is missed.
 */
import { readdirSync, readFileSync } from 'node:fs';

const INTERVAL_MS = 100;
const MS_PER_TICK = 10; // CLK_TCK is 100 on Linux

// Every command line a process showed while sampled: a backend caught just after its fork shows the
// postmaster's, one caught exiting (a zombie) shows none, and either alone would count it as other work.
const seen = new Map<number, { cmdlines: Set<string>; first: number; last: number }>();

function sample(initial: boolean): void {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: the fields counted from after it.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const known = seen.get(pid) ?? { cmdlines: new Set<string>(), first: initial ? ticks : 0, last: ticks };
      known.last = ticks;
      seen.set(pid, known);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmdline) known.cmdlines.add(cmdline);
    } catch {
      // Gone between the listing and the read.
    }
  }
}

/** CPU time the whole machine spent busy (user, nice, system, interrupts; not idle, I/O wait or steal), ms. */
function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq) * MS_PER_TICK;
}

const busyAtStart = machineBusyMs();
sample(true);
const timer = setInterval(() => sample(false), INTERVAL_MS);
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  clearInterval(timer);
  sample(false);
  const used = [...seen.entries()]
    .map(([pid, p]) => ({ pid, cmdline: [...p.cmdlines].join(' | '), cpuMs: (p.last - p.first) * MS_PER_TICK }))
    .filter((p) => p.cpuMs > 0);
  process.stdout.write(`${JSON.stringify({ processes: used, machineBusyMs: machineBusyMs() - busyAtStart })}\n`);
  process.exit(0);
});
