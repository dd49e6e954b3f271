/**
 * The numbers behind the table_analysis checks, each with the tool it comes from,
 * so a DBA can compare our verdicts with the tool they already trust.
 */

// Largest relations: an informational top 10, the length of PgHero's space page above the fold.
export const LARGEST_RELATIONS = 10;

// "Large table": PgHero missing_indexes only looks at tables with n_live_tup >= 10000.
// Below that a sequential scan is cheap, so seq-scan and unindexed-FK findings stay informational.
export const LARGE_TABLE_ROWS = 10_000;

// PgHero missing_indexes: a large table whose index scans are < 95% of all its scans.
export const MIN_INDEX_SCAN_PERCENT = 95;

// Unused indexes.
// pganalyze "Unused Indexes" ignores indexes smaller than 32 kB (an empty B-tree is 8-16 kB).
export const UNUSED_INDEX_MIN_BYTES = 32 * 1024;
// pgwatch reco_drop_index: an unused index worth dropping is > 0.5% of the database size.
export const UNUSED_INDEX_DB_SHARE = 0.005;
// pganalyze judges usage over a 35-day window; counters younger than that cannot prove an index unused.
export const UNUSED_INDEX_MIN_STATS_DAYS = 35;

// Transaction ID wraparound (ages in transactions).
// check_postgres txn_wraparound: default critical at age 1,400,000,000.
export const XID_AGE_CRITICAL = 1_400_000_000;
// PgHero overview: transaction_id_danger(threshold: 1_500_000_000) flags fewer than 1.5 billion
// transactions left before the 2,146,483,648 shutdown point, i.e. an age above 646,483,648.
export const XID_SHUTDOWN_POINT = 2_146_483_648;
export const XID_AGE_WARNING = XID_SHUTDOWN_POINT - 1_500_000_000;
// PgHero autovacuum_danger: fewer than 2,000,000 transactions before autovacuum_freeze_max_age
// forces an anti-wraparound vacuum; informational, that vacuum is about to run.
export const XID_FREEZE_MARGIN = 2_000_000;

// Sequences, as the share of the usable range already handed out.
// PgHero sequence_danger(threshold: 0.9) → critical. Warning at 0.75, ten points before
// check_postgres's default 85% warning, leaves time to migrate a column to bigint.
export const SEQUENCE_CRITICAL = 0.9;
export const SEQUENCE_WARNING = 0.75;

// Bloat, in estimated wasted bytes.
// check_postgres bloat: default warning 1 GB, critical 5 GB.
export const BLOAT_WARNING_BYTES = 1024 ** 3;
export const BLOAT_CRITICAL_BYTES = 5 * 1024 ** 3;
// PgHero index_bloat_bytes: 100 MB (104857600) before bloat is worth listing at all.
export const BLOAT_MIN_BYTES = 100 * 1024 ** 2;
// The statistical estimate is "often off by +/- 20%" (pgexperts table_bloat_check.sql) and alignment
// padding alone can reach 10% (ioguix README): below 20% of the relation it is not evidence of bloat.
export const BLOAT_MIN_RATIO = 0.2;
