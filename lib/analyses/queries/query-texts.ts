import { NotAssessableError, type Check } from '../types.js';
import { readStatements } from './statements-source.js';
import { quoteIdent } from '../format.js';

/**
 * query_analysis: without pg_read_all_stats, pg_stat_statements shows other roles' statements
 * with "<insufficient privilege>" as text and no queryid. Their numbers are still reported
 * (summed per role), but they cannot be named, judged slow one by one or tracked across runs:
 * this check turns that into a not_assessable entry with the grant that lifts it.
 */
export const queryTextsCheck: Check = {
  id: 'queries.query_texts',
  targets: ['queries', 'performance'],
  async run(ctx) {
    let read;
    try {
      read = await readStatements(ctx);
    } catch (error) {
      // The statement checks already report why pg_stat_statements cannot be read.
      if (error instanceof NotAssessableError) return [];
      throw error;
    }
    if (read.readsAllStats || read.hiddenEntries === 0) return [];
    throw new NotAssessableError(
      `${read.hiddenEntries} statements run by ${read.hiddenRoles.join(', ')} are hidden from ${ctx.server.current_user} ` +
        ('(text "<insufficient privilege>", no queryid): they are reported summed per role, and left out of ' +
          'queries.slow and queries.regression'),
      `GRANT pg_read_all_stats TO ${quoteIdent(ctx.server.current_user)};`,
    );
  },
};
