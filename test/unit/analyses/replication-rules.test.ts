import { describe, expect, it } from 'vitest';
import { lagSeverity, slotSeverity } from '../../../lib/analyses/config/replication-checks.js';
import { horizonSeverity, isReportedHolder, type HorizonHolder } from '../../../lib/analyses/tables/vacuum-horizon.js';

const GB = 1024 ** 3;

describe('standby lag grading', () => {
  it('says nothing about a standby a few seconds and megabytes behind', () => {
    expect(lagSeverity(3, 16 * 1024 ** 2)).toBeNull();
  });

  it('warns from five minutes or 1 GB behind and is critical from half an hour or 16 GB', () => {
    expect(lagSeverity(300, 0)).toBe('warning');
    expect(lagSeverity(null, GB)).toBe('warning');
    expect(lagSeverity(1800, 0)).toBe('critical');
    expect(lagSeverity(10, 16 * GB)).toBe('critical');
  });
});

describe('replication slot grading', () => {
  it('warns about any inactive slot, which keeps WAL until the disk is full', () => {
    expect(slotSeverity(false, 'reserved', 32 * 1024 ** 2, GB)).toBe('warning');
  });

  it('leaves an active slot within its WAL budget alone', () => {
    expect(slotSeverity(true, 'reserved', 100 * 1024 ** 2, GB)).toBeNull();
  });

  it('is critical when the slot lost or is about to lose its WAL, or holds four times max_wal_size', () => {
    expect(slotSeverity(true, 'unreserved', 0, GB)).toBe('critical');
    expect(slotSeverity(false, 'lost', 0, GB)).toBe('critical');
    expect(slotSeverity(true, null, 4 * GB, GB)).toBe('critical');
  });
});

describe('vacuum horizon grading', () => {
  const holder = (h: Partial<HorizonHolder>): HorizonHolder => ({
    kind: 'session',
    xidAge: 5000,
    heldSeconds: 5,
    idleInTransaction: false,
    active: true,
    ...h,
  });
  const freezeMaxAge = 200_000_000;

  it('ignores a busy session doing ordinary short work', () => {
    expect(isReportedHolder(holder({ heldSeconds: 2 }))).toBe(false);
    expect(isReportedHolder(holder({ xidAge: 10, idleInTransaction: true }))).toBe(false);
  });

  it('reports a session idle in its transaction, or one running for a minute', () => {
    expect(isReportedHolder(holder({ idleInTransaction: true }))).toBe(true);
    expect(isReportedHolder(holder({ heldSeconds: 60 }))).toBe(true);
  });

  it('reports prepared transactions and slots whatever their age in time', () => {
    expect(isReportedHolder(holder({ kind: 'prepared_transaction', heldSeconds: 1 }))).toBe(true);
    expect(isReportedHolder(holder({ kind: 'replication_slot', heldSeconds: null }))).toBe(true);
  });

  it('grades a young idle session as info, a forgotten prepared transaction or an inactive slot as a warning', () => {
    expect(horizonSeverity(holder({ idleInTransaction: true }), freezeMaxAge)).toBe('info');
    expect(horizonSeverity(holder({ kind: 'prepared_transaction' }), freezeMaxAge)).toBe('warning');
    expect(
      horizonSeverity(holder({ kind: 'logical_slot_catalog', active: false, heldSeconds: null }), freezeMaxAge),
    ).toBe('warning');
    expect(horizonSeverity(holder({ kind: 'replication_slot', active: true, heldSeconds: null }), freezeMaxAge)).toBe(
      'info',
    );
  });

  it(
    'warns from ten million transactions or an hour, and is critical from half of autovacuum_freeze_max_age or ' +
      'a day',
    () => {
      expect(horizonSeverity(holder({ xidAge: 10_000_000 }), freezeMaxAge)).toBe('warning');
      expect(horizonSeverity(holder({ heldSeconds: 3600 }), freezeMaxAge)).toBe('warning');
      expect(horizonSeverity(holder({ xidAge: 100_000_000 }), freezeMaxAge)).toBe('critical');
      expect(horizonSeverity(holder({ heldSeconds: 86_400 }), freezeMaxAge)).toBe('critical');
    },
  );
});
