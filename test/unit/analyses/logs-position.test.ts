import { describe, expect, it } from 'vitest';
import { planReads, positionToKeep, previousPosition, type LogFile } from '../../../lib/analyses/logs/log-position.js';

const MB = 1024 * 1024;
const file = (name: string, size: number, modified: string): LogFile => ({ name, size, modified });

describe('planning which bytes of the log to read', () => {
  const files = [
    file('pg-1.log', 40 * MB, '2026-11-01T00:00:00Z'),
    file('pg-2.log', 50 * MB, '2026-11-02T00:00:00Z'),
    file('pg-3.log', 30 * MB, '2026-11-03T00:00:00Z'),
  ];

  it('reads only the newest window on a first run, counted back across files, and marks older files as seen', () => {
    const plan = planReads(files, null, 64 * MB);
    expect(plan.map((p) => [p.file.name, p.from, p.startsMidFile])).toEqual([
      ['pg-1.log', 40 * MB, false],
      ['pg-2.log', 16 * MB, true],
      ['pg-3.log', 0, false],
    ]);
  });

  it('continues each known file at its offset and reads a file created since the last run from the start', () => {
    const previous = {
      newest_modified: '2026-11-02T00:00:00.000Z',
      files: { 'pg-1.log': { offset: 40 * MB, head: '64:a' }, 'pg-2.log': { offset: 20 * MB, head: '64:b' } },
    };
    const plan = planReads(files, previous);
    expect(plan.map((p) => [p.file.name, p.from, p.expectedHead])).toEqual([
      ['pg-1.log', 40 * MB, '64:a'],
      ['pg-2.log', 20 * MB, '64:b'],
      ['pg-3.log', 0, null],
    ]);
  });

  it('reads a truncated file (smaller than the recorded offset) again from the start', () => {
    const previous = {
      newest_modified: '2026-11-03T00:00:00.000Z',
      files: { 'pg-3.log': { offset: 90 * MB, head: '64:c' } },
    };
    expect(planReads([files[2]], previous)[0]).toMatchObject({ from: 0, expectedHead: null });
  });

  it('treats an untracked file older than the last run as already covered', () => {
    const previous = { newest_modified: '2026-11-03T00:00:00.000Z', files: {} };
    expect(planReads([files[0]], previous)[0].from).toBe(40 * MB);
  });

  it('keeps positions for the most recent files only and ignores a malformed previous state', () => {
    const offsets = new Map(files.map((f) => [f.name, { offset: f.size, head: null }]));
    const kept = positionToKeep(files, offsets);
    expect(kept.newest_modified).toBe('2026-11-03T00:00:00Z');
    expect(Object.keys(kept.files)).toHaveLength(3);
    expect(previousPosition({ 'logs.position': 'garbage' })).toBeNull();
    expect(previousPosition({})).toBeNull();
    expect(previousPosition({ 'logs.position': kept })).toEqual(kept);
  });
});
