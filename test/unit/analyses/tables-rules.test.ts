import { describe, expect, it } from 'vitest';
import { bloatSeverity } from '../../../lib/analyses/tables/bloat.js';
import { unindexedForeignKeySeverity } from '../../../lib/analyses/tables/foreign-keys.js';
import { unusedIndexSeverity } from '../../../lib/analyses/tables/index-usage.js';
import { sequenceSeverity } from '../../../lib/analyses/tables/sequences.js';
import { deadTupleSeverity } from '../../../lib/analyses/tables/vacuum.js';
import { wraparoundSeverity } from '../../../lib/analyses/tables/wraparound.js';

const MB = 1024 ** 2;
const GB = 1024 ** 3;

describe('sequence exhaustion', () => {
  it('stays silent up to 75% of the usable range', () => {
    expect(sequenceSeverity(0.5)).toBeNull();
    expect(sequenceSeverity(0.75)).toBeNull();
  });

  it('warns above 75% and is critical above 90% (PgHero sequence_danger)', () => {
    expect(sequenceSeverity(0.76)).toBe('warning');
    expect(sequenceSeverity(0.9)).toBe('warning');
    expect(sequenceSeverity(0.91)).toBe('critical');
  });
});

describe('transaction ID wraparound', () => {
  const freezeMaxAge = 200_000_000;

  it('is unremarkable while the age is well under autovacuum_freeze_max_age', () => {
    expect(wraparoundSeverity(150_000_000, freezeMaxAge)).toBeNull();
  });

  it('is informational within 2 million transactions of autovacuum_freeze_max_age (PgHero autovacuum_danger)', () => {
    expect(wraparoundSeverity(198_000_000, freezeMaxAge)).toBe('info');
    expect(wraparoundSeverity(400_000_000, freezeMaxAge)).toBe('info');
  });

  it('warns once fewer than 1.5 billion transactions are left (PgHero overview)', () => {
    expect(wraparoundSeverity(646_483_647, freezeMaxAge)).toBe('info');
    expect(wraparoundSeverity(646_483_648, freezeMaxAge)).toBe('warning');
  });

  it('is critical from an age of 1.4 billion (check_postgres txn_wraparound)', () => {
    expect(wraparoundSeverity(1_399_999_999, freezeMaxAge)).toBe('warning');
    expect(wraparoundSeverity(1_400_000_000, freezeMaxAge)).toBe('critical');
  });

  it('honours a table that lowered its own autovacuum_freeze_max_age', () => {
    expect(wraparoundSeverity(60_000_000, 50_000_000)).toBe('info');
  });
});

describe('bloat estimates', () => {
  it('ignores waste under 100 MB or under 20% of the relation, the estimate’s own noise', () => {
    expect(bloatSeverity(99 * MB, 0.9)).toBeNull();
    expect(bloatSeverity(3 * GB, 0.19)).toBeNull();
  });

  it('grades by wasted bytes as check_postgres does: 1 GB warning, 5 GB critical', () => {
    expect(bloatSeverity(200 * MB, 0.4)).toBe('info');
    expect(bloatSeverity(GB, 0.3)).toBe('warning');
    expect(bloatSeverity(5 * GB, 0.3)).toBe('critical');
  });
});

describe('unused indexes', () => {
  const database = 10 * GB;

  it('warns about an index over 0.5% of the database when the counters are old enough (pgwatch, pganalyze)', () => {
    expect(unusedIndexSeverity(100 * MB, database, 60)).toBe('warning');
  });

  it('keeps it informational when nobody knows how long the counters cover (stats_reset is null)', () => {
    expect(unusedIndexSeverity(100 * MB, database, null)).toBe('info');
  });

  it('keeps a small unused index informational', () => {
    expect(unusedIndexSeverity(10 * MB, database, 60)).toBe('info');
  });

  it('lowers the severity when the statistics were reset less than 35 days ago', () => {
    expect(unusedIndexSeverity(100 * MB, database, 3)).toBe('info');
    expect(unusedIndexSeverity(100 * MB, database, 34.9)).toBe('info');
  });
});

describe('dead tuples', () => {
  const facts = { overThreshold: true, autovacuumEnabled: true, beingVacuumed: false, overThresholdLastRun: false };

  it('is informational the first time a table is above its threshold with autovacuum on', () => {
    expect(deadTupleSeverity(facts)).toBe('info');
  });

  it('warns when the previous review found the table above its threshold too', () => {
    expect(deadTupleSeverity({ ...facts, overThresholdLastRun: true })).toBe('warning');
  });

  it('does not warn about a table a vacuum is working on right now', () => {
    expect(deadTupleSeverity({ ...facts, overThresholdLastRun: true, beingVacuumed: true })).toBe('info');
  });

  it('warns at once when autovacuum is off and the threshold is passed, and only informs below it', () => {
    expect(deadTupleSeverity({ ...facts, autovacuumEnabled: false })).toBe('warning');
    expect(deadTupleSeverity({ ...facts, autovacuumEnabled: false, overThreshold: false })).toBe('info');
  });
});

describe('unindexed foreign keys', () => {
  it('warns from PgHero’s 10,000-row large-table floor and informs below it', () => {
    expect(unindexedForeignKeySeverity(9_999)).toBe('info');
    expect(unindexedForeignKeySeverity(10_000)).toBe('warning');
  });
});
