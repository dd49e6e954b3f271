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
      message: 'cron_schedule has 6 fields: a seconds field is not supported because tasks are scheduled once a minute; use 5 fields (minute hour day-of-month month day-of-week)',
    };
  }
  if (fields.length !== 5) {
    return { ok: false, message: `cron_schedule must have 5 fields (minute hour day-of-month month day-of-week); found ${fields.length}` };
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

/** The first slot strictly after `after`, in the task's time zone (DST handled by cron-parser). */
export function nextRunAfter(expression: string, timeZone: string, after: Date): Date {
  const trimmed = expression.trim().toLowerCase();
  const normalized = MACRO_EXPANSION[trimmed] ?? (trimmed.startsWith('@') ? trimmed : expression.trim());
  return CronExpressionParser.parse(normalized, { tz: timeZone, currentDate: after }).next().toDate();
}
