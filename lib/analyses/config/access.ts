import { perReview } from '../per-review.js';
import { NotAssessableError, type CheckContext } from '../types.js';
import { quoteIdent } from '../format.js';

/**
 * Without pg_read_all_stats (part of pg_monitor), pg_stat_activity hides the state and query of
 * other roles' sessions: a check on sessions would silently see only our own, so it is not assessable.
 * Asked once per review, however many session checks need it.
 */
export const requireAllSessionsVisible = perReview(async (ctx: CheckContext): Promise<void> => {
  if (ctx.server.is_superuser) return;
  const [row] = await ctx.sql`select pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') as visible`;
  if (!row.visible) {
    throw new NotAssessableError(
      "Other roles' sessions are hidden from the reviewing role (pg_stat_activity shows no state or query for them)",
      `GRANT pg_monitor TO ${quoteIdent(ctx.server.current_user)};`,
    );
  }
});
