import { describe, expect, it } from 'vitest';
import { noteTruncation } from '../../../lib/analyses/finding-list.js';
import type { Finding } from '../../../lib/analyses/types.js';

describe('capped finding lists', () => {
  const finding = (object: string): Finding => ({
    check: 'tables.x',
    severity: 'info',
    object,
    title: 't',
    detail: 'd.',
    recommendation: null,
    evidence: {},
  });

  it('leaves a complete list untouched', () => {
    const findings = noteTruncation([finding('a')], 1, 'tables');
    expect(findings[0].detail).toBe('d.');
    expect(findings[0].evidence.not_listed).toBeUndefined();
  });

  it('says in every listed finding how many more matched', () => {
    const findings = noteTruncation([finding('a'), finding('b')], 120, 'tables');
    expect(findings.map((f) => f.evidence.not_listed)).toEqual([118, 118]);
    expect(findings[0].detail).toBe('d. 118 more tables not listed (120 found; a review lists 50 at most).');
    expect(findings[1].evidence.total_found).toBe(120);
  });
});
