import { describe, expect, it } from 'vitest';
import { checkCronSchedule, isValidTimeZone, nextRunAfter } from '../../lib/scheduling/cron.js';

describe('cron schedules', () => {
  it('accepts five fields and the usual macros', () => {
    for (const expression of [
      '0 2 * * *',
      '*/15 * * * 1-5',
      '@hourly',
      '@daily',
      '@weekly',
      '@monthly',
      '@yearly',
      '@annually',
    ]) {
      expect(checkCronSchedule(expression)).toEqual({ ok: true });
    }
  });

  it('refuses a seconds field and says the scheduler runs once a minute', () => {
    const check = checkCronSchedule('0 */5 * * * *');
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toContain('once a minute');
  });

  it('refuses wrong field counts, bad values and unknown macros', () => {
    expect(checkCronSchedule('* * *')).toMatchObject({ ok: false, message: expect.stringContaining('found 3') });
    expect(checkCronSchedule('0 25 * * *').ok).toBe(false);
    expect(checkCronSchedule('@reboot').ok).toBe(false);
  });

  it('validates IANA time zone names', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Nowhere/Special')).toBe(false);
  });
});

describe('next run time', () => {
  it('is strictly after the given instant', () => {
    const now = new Date('2026-01-10T02:00:00Z');
    expect(nextRunAfter('0 2 * * *', 'UTC', now).toISOString()).toBe('2026-01-11T02:00:00.000Z');
  });

  it('follows the task time zone', () => {
    expect(nextRunAfter('0 9 * * *', 'America/New_York', new Date('2026-01-10T00:00:00Z')).toISOString()).toBe(
      '2026-01-10T14:00:00.000Z',
    );
  });

  it('runs a job in the skipped hour of a spring-forward day once, at the first valid time', () => {
    // Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29: 02:30 does not exist that day.
    // Like cron, it runs when the clocks jump: 03:00 CEST (01:00 UTC), not an hour later at 03:30.
    const next = nextRunAfter('30 2 * * *', 'Europe/Berlin', new Date('2026-03-28T23:00:00Z'));
    expect(next.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    const after = nextRunAfter('30 2 * * *', 'Europe/Berlin', next);
    expect(after.toISOString()).toBe('2026-03-30T00:30:00.000Z');
    // A tick that computes the schedule a moment after the jump does not run it a second time.
    expect(nextRunAfter('30 2 * * *', 'Europe/Berlin', new Date('2026-03-29T01:00:30Z')).toISOString()).toBe(
      '2026-03-30T00:30:00.000Z',
    );
  });

  it('runs every slot of a skipped hour once in all, at the first valid time, in any zone', () => {
    expect(nextRunAfter('*/15 2 * * *', 'Europe/Berlin', new Date('2026-03-28T12:00:00Z')).toISOString()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
    expect(nextRunAfter('*/15 2 * * *', 'Europe/Berlin', new Date('2026-03-29T01:00:00Z')).toISOString()).toBe(
      '2026-03-30T00:00:00.000Z',
    );
    // New York jumps 02:00 -> 03:00 EDT on 2026-03-08; St. John's (a half-hour zone) too.
    expect(nextRunAfter('30 2 * * *', 'America/New_York', new Date('2026-03-07T12:00:00Z')).toISOString()).toBe(
      '2026-03-08T07:00:00.000Z',
    );
    expect(nextRunAfter('30 2 * * *', 'America/St_Johns', new Date('2026-03-07T12:00:00Z')).toISOString()).toBe(
      '2026-03-08T05:30:00.000Z',
    );
    // A slot outside the gap is untouched.
    expect(nextRunAfter('* * * * *', 'Europe/Berlin', new Date('2026-03-29T00:59:30Z')).toISOString()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
  });

  it('runs a job in the repeated hour of a fall-back day once', () => {
    // Europe/Berlin repeats 02:00–03:00 on 2026-10-25.
    const first = nextRunAfter('30 2 * * *', 'Europe/Berlin', new Date('2026-10-24T23:00:00Z'));
    const second = nextRunAfter('30 2 * * *', 'Europe/Berlin', first);
    // The first 02:30 (still summer time), then the next day's: never the repeated 02:30 an hour later.
    expect(first.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(second.toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });

  it('keeps the local wall-clock time across a DST change', () => {
    const before = nextRunAfter('0 9 * * *', 'Europe/Berlin', new Date('2026-03-28T12:00:00Z'));
    const after = nextRunAfter('0 9 * * *', 'Europe/Berlin', before);
    expect(before.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(after.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('expands macros in the time zone', () => {
    expect(nextRunAfter('@daily', 'Asia/Kolkata', new Date('2026-05-01T00:00:00Z')).toISOString()).toBe(
      '2026-05-01T18:30:00.000Z',
    );
  });
});
