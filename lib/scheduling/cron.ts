import { CronExpressionParser } from 'cron-parser';

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;
const MACRO_EXPANSION: Record<string, string> = { '@midnight': '@daily' };

export type CronCheck = { ok: true } | { ok: false; message: string };

/**
 * Five fields (minute hour day-of-month month day-of-week) or a macro. A seconds field is refused:
 * the tick runs once a minute, so a sub-minute schedule would silently run at most once a minute.
 */
export function checkCronSchedule(expression: string): CronCheck {
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    return (MACROS as readonly string[]).includes(trimmed.toLowerCase())
      ? { ok: true }
      : { ok: false, message: `Unknown cron macro "${trimmed}"; use one of ${MACROS.join(', ')}` };
  }
  const fields = trimmed.split(/\s+/).filter(Boolean);
  if (fields.length === 6) {
    return {
      ok: false,
      message:
        'cron_schedule has 6 fields: a seconds field is not supported because tasks are scheduled once a ' +
        'minute; use 5 fields (minute hour day-of-month month day-of-week)',
    };
  }
  if (fields.length !== 5) {
    return {
      ok: false,
      message: `cron_schedule must have 5 fields (minute hour day-of-month month day-of-week); found ${fields.length}`,
    };
  }
  try {
    CronExpressionParser.parse(trimmed, { strict: false });
    return { ok: true };
  } catch (error) {
    return { ok: false, message: `Invalid cron_schedule: ${(error as Error).message}` };
  }
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first slot strictly after `after`, in the task's time zone. A slot whose wall-clock time does
 * not exist that day (skipped by a daylight-saving change) runs once at the first valid time, when
 * the clocks have jumped, as cron itself does; a slot in a repeated hour runs once.
 */
export function nextRunAfter(expression: string, timeZone: string, after: Date): Date {
  const trimmed = expression.trim().toLowerCase();
  const normalized = MACRO_EXPANSION[trimmed] ?? (trimmed.startsWith('@') ? trimmed : expression.trim());
  const parsed = CronExpressionParser.parse(normalized, { tz: timeZone, currentDate: after });
  const next = parsed.next().toDate();
  const { hour, minute } = wallClock(next, timeZone);
  if (parsed.fields.hour.values.includes(hour as never) && parsed.fields.minute.values.includes(minute as never))
    return next;
  // cron-parser moved a slot out of the gap by the size of the jump (02:30 -> 03:30); cron runs it
  // when the gap ends (03:00). If that moment has passed, the slot has had its run.
  const gapEnd = offsetChangeBefore(next, timeZone);
  return gapEnd > after ? gapEnd : nextRunAfter(expression, timeZone, next);
}

function wallClock(instant: Date, timeZone: string): { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { hour: part('hour'), minute: part('minute') };
}

function utcOffsetMinutes(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(instant);
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(parts.find((p) => p.type === 'timeZoneName')?.value ?? '');
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0)) : 0;
}

/** The instant, to the minute, at which the zone's offset last changed before `instant` (within a day). */
function offsetChangeBefore(instant: Date, timeZone: string): Date {
  const offsetNow = utcOffsetMinutes(instant, timeZone);
  let low = instant.getTime() - 24 * 3600_000; // before the change
  let high = instant.getTime(); // after it
  if (utcOffsetMinutes(new Date(low), timeZone) === offsetNow) return instant;
  while (high - low > 60_000) {
    const middle = low + Math.floor((high - low) / 120_000) * 60_000;
    if (utcOffsetMinutes(new Date(middle), timeZone) === offsetNow) high = middle;
    else low = middle;
  }
  return new Date(high);
}
