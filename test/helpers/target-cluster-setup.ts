import { execFileSync } from 'node:child_process';

/** Starts (or reuses) the dedicated target cluster that reviews are run against. */
export default function setup(): void {
  execFileSync('bash', ['scripts/target-cluster.sh', 'start'], { stdio: 'inherit' });
}
