/**
 * The numbers behind the log_analysis checks, each with the tool it comes from, so a DBA can
 * compare our verdicts with the tool they already trust. Where no anchor tool ships a number,
 * the comment says so and gives the reasoning instead.
 */

// Reading. pgwatch's remote log parser reads pg_read_file in chunks of at most 10 MB
// (maxChunkSize). Over a local connection 1 MB and 4 MB chunks read equally fast and 16 MB about
// half as fast; 4 MB keeps the round trips few with two chunks in memory (one parsed, one prefetched).
export const CHUNK_BYTES = 4 * 1024 * 1024;

// A chunk is parsed this much at a time, the socket read between slices (scan-log.ts).
export const PARSE_SLICE_CHARS = 256 * 1024;

// A run reads at most 256 MB of new log; the rest is left for the next run, and the coverage
// finding says how much is left. Reading and parsing run at tens of MB/s (bench/README.md): seconds of work.
export const MAX_BYTES_PER_RUN = 256 * 1024 * 1024;

// A first run has no position to continue from: it reads only the newest 64 MB (counted back
// from the end of the newest file across older files) and marks everything older as seen,
// so the first review describes the recent past instead of replaying months of history.
export const FIRST_RUN_WINDOW_BYTES = 64 * 1024 * 1024;

// Reading stops once half of query_timeout has gone, so the review itself never times out
// because the log was large; what was not read is read by the next run.
export const READ_TIME_SHARE = 0.5;

// Positions are kept for the most recent files only; older files cannot grow any more.
export const TRACKED_FILES = 200;

// Memory bounds. Every text field of an entry is cut at 8 kB, a line longer than 16 MB is
// skipped, and each tally keeps at most a few thousand keys, evicting the smallest half when full.
export const FIELD_CHARS = 8 * 1024;
export const MAX_LINE_CHARS = 16 * 1024 * 1024;
export const MESSAGE_KEYS = 5_000;
export const OBJECT_KEYS = 1_000;

// pgBadger --top: "number of queries to store/display. Default: 20" — used for every ranked list
// (most frequent errors, slowest statements).
export const TOP_N = 20;
// Statements are aggregated per normalized text in a Space-Saving sketch of this many slots
// (statement-stats.ts): exact below that many distinct statements, and past it any statement
// whose total is above (total logged time) / 1,000 is guaranteed to be kept.
export const STATEMENT_KEYS = 1_000;

// Message text kept in a finding, after normalization and redaction (statements: QUERY_TEXT_CHARS).
export const MESSAGE_TEXT_CHARS = 300;

// PgHero long_running_query_sec defaults to 60: a statement that ran ≥ 60 s is a warning;
// shorter ones logged by log_min_duration_statement are listed as info.
export const LONG_STATEMENT_MS = 60_000;

// Autovacuum cancellations: no anchor tool ships a number. One cancellation is expected after an
// occasional DDL on the table; two or more on the same table in one window mean vacuum keeps
// losing its work there, which is what leads to bloat and wraparound pressure.
export const AUTOVACUUM_CANCELS_WARNING = 2;

// Failed logins. The CIS benchmark controls that PGDSAT checks (and DISA STIG SV-233553) treat
// every unsuccessful logon as an audit event to be reviewed: one is enough for a warning.
export const AUTH_FAILURES_WARNING = 1;

// Brute force. fail2ban's default maxretry is 5 failures before a source is banned (jail.conf), and
// its postgresql filter applies it to these same log lines: five failed logins from one host, or
// for one role from anywhere, in the window read is treated as an attack in progress (critical).
export const BRUTE_FORCE_FAILURES = 5;

// Checkpoints. The same rule as performance.requested_checkpoints (config/checkpoint-check.ts):
// the manual wants checkpoints triggered mostly by checkpoint_timeout, read as: WAL-triggered
// ones more than half, over at least ten checkpoints.
export const MIN_CHECKPOINTS = 10;
export const MAX_WAL_CHECKPOINT_PERCENT = 50;
// A checkpoint's sync phase is fsync of the files it wrote; PostgreSQL spreads writes, not syncs,
// so a sync of tens of seconds means storage that cannot keep up (pgBadger charts it, no number).
// No anchor tool ships a threshold: 10 s is where commits stall visibly behind it.
export const SLOW_CHECKPOINT_SYNC_SECONDS = 10;

// Autovacuum. autovacuum_naptime defaults to 1 min, so a table vacuumed at least every minute is
// vacuumed at every opportunity: its thresholds are too low for its churn or vacuum never catches
// up. Counted over at least 3 runs so two back-to-back runs are not a pattern.
export const AUTOVACUUM_FREQUENT_SECONDS = 60;
export const AUTOVACUUM_FREQUENT_MIN_RUNS = 3;
// A vacuum that leaves dead tuples "not yet removable" every time is held back by an old snapshot
// (long transaction, prepared transaction, replication slot): it can never finish its job.
// No anchor tool has a number; two runs in a row with at least 1,000 such tuples each is a pattern.
export const DEAD_NOT_REMOVABLE_RUNS = 2;
export const DEAD_NOT_REMOVABLE_TUPLES = 1_000;

// Sessions. A backend costs a fork and an authentication at every connection; sessions that
// live under a second on average, over at least 100 of them, spend a large share of their life
// connecting, which is what a connection pooler (PgBouncer, pgpool) is for. No anchor tool ships
// this number; pgBadger shows the session-time histogram without a verdict.
export const SHORT_SESSION_MS = 1_000;
export const SHORT_SESSIONS_MIN = 100;
