import { vi } from 'vitest';

/**
 * Keeps what the logger prints to stdout and stderr from now until vi.restoreAllMocks(), silently,
 * and returns a reader of the JSON lines kept so far.
 */
export function captureLogLines(): () => Record<string, unknown>[] {
  const printed: string[] = [];
  const keep = (chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return () =>
    printed
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
}
