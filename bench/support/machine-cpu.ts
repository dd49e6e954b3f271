import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ProcessCpu {
  pid: number;
  cmdline: string;
  cpuMs: number;
}

/**
 * The CPU every process of this machine uses while `work` runs (bench/support/cpu-sampler.ts), so a
 * benchmark can say where an execution's cost goes (the consumer, the service database's backends,
 * the target's, Redis) and compare queues by CPU per job, which another job on the same machine
 * slows down far less than it slows a rate.
 */
export async function measureMachineCpu<T>(
  work: () => Promise<T>,
): Promise<{ result: T; processes: ProcessCpu[]; machineBusyMs: number }> {
  const sampler = spawn(process.execPath, ['--import', 'tsx', new URL('./cpu-sampler.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  sampler.stdout.on('data', (chunk) => (output += chunk));
  while (!output.includes('ready\n')) await once(sampler.stdout, 'data');
  let result: T;
  try {
    result = await work();
  } finally {
    sampler.stdin.write('stop\n');
    await once(sampler, 'exit');
  }
  const measured = JSON.parse(output.split('\n')[1]) as { processes: ProcessCpu[]; machineBusyMs: number };
  return { result, ...measured };
}

/** The group of every process no other group claims: other work on the machine. */
export const OTHER_WORK = 'other';

/** CPU milliseconds by group: the first group whose test a process passes takes it; the rest is OTHER_WORK. */
export function cpuByGroup(
  processes: ProcessCpu[],
  groups: Array<[string, (p: ProcessCpu) => boolean]>,
): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries([...groups.map(([name]) => [name, 0]), [OTHER_WORK, 0]]);
  for (const p of processes) {
    const group = groups.find(([, test]) => test(p))?.[0] ?? OTHER_WORK;
    totals[group] += p.cpuMs;
  }
  return totals;
}
