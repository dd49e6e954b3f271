/**
 * The numbers behind queries.index_advice, each with its reason. Dexter (HypoPG-based advice) is
 * the anchor for the gain rule; PgHero's suggested indexes for the selectivity and size floors.
 */

// Dexter keeps a hypothetical index only when it cuts a statement's planner cost by at least half:
// smaller gains are inside the planner's own error and do not repay the index's write cost.
export const MIN_COST_REDUCTION = 0.5;

// An equality filter matching more than 10% of a table is read faster by a sequential scan than
// through a btree (random heap reads); such a column is no index's leading column.
export const MAX_EQUALITY_SELECTIVITY = 0.1;

// Below 10,000 rows a table fits in ~100 pages: a sequential scan of it costs less than keeping an
// index up to date (PgHero skips tables this small too).
export const MIN_TABLE_ROWS = 10_000;

// Dexter's limit: wider btrees are rarely chosen and cost more on every write.
export const MAX_INDEX_COLUMNS = 3;

// Bounds of one review's advice step: the heaviest statements by time, the candidates serving the
// most of it, and a share of the review's own time limit (query_timeout) with a ceiling, so the
// other query checks always have time left.
export const MAX_STATEMENTS = 200;
export const MAX_CANDIDATES = 40;
export const TIME_BUDGET_SHARE = 0.25;
export const TIME_BUDGET_CEILING_MS = 60_000;
// Planning one statement takes milliseconds; a second is a generous floor for the one statement
// that may still run when the budget is nearly spent.
export const PLAN_TIMEOUT_FLOOR_MS = 1_000;

// Advice is a warning when the statements it serves take at least this share of the database's
// statement time; a smaller share is worth knowing, not urgent.
export const WARNING_TIME_SHARE = 0.1;

// Plans shown per finding, and the lines of each: enough to see the scan change, bounded in the result.
export const PLANS_SHOWN = 3;
export const PLAN_LINES = 25;
