import { formatCount, formatMs, round } from '../format.js';
import type { Check, Finding } from '../types.js';
import { countingSince, explainRecommendation, percentOfTotal, statementEvidence, statementLabel } from './describe.js';
import { readStatements } from './statements-source.js';
import { SLOW_MEAN_MS, SLOW_MIN_CALLS } from './thresholds.js';
import { LIST_CAP } from '../finding-list.js';

/**
 * query_analysis: statements slow on average and run often enough to matter (PgHero's
 * slow_queries rule), heaviest first. Statements of other roles whose texts are hidden from
 * the reviewing role are summed per role and cannot be judged one by one; queries.query_texts
 * says so.
 */
export const slowStatementsCheck: Check = {
  id: 'queries.slow',
  targets: ['queries', 'performance'],
  async run(ctx) {
    const read = await readStatements(ctx);
    const slow = read.statements
      .filter((s) => s.slow && s.rank.slow !== null)
      .sort((a, b) => a.rank.slow! - b.rank.slow!);
    const more = Math.max(0, read.slowCount - slow.length);
    return slow.map((s): Finding => ({
      check: 'queries.slow',
      severity: 'warning',
      object: s.key,
      title: `Slow statement: ${formatMs(s.meanMs)} mean over ${formatCount(s.calls)} calls`,
      detail:
        `${statementLabel(s)} averages ${formatMs(s.meanMs)} per call over ${formatCount(s.calls)} calls ${countingSince(read)} ` +
        `(${formatMs(s.totalMs)} total, ${percentOfTotal(s, read)}% of all statement time, max ${formatMs(s.maxMs)}); ` +
        `slow means ≥ ${SLOW_MEAN_MS} ms mean with ≥ ${SLOW_MIN_CALLS} calls.` +
        (more > 0
          ? ` ${read.slowCount} statements are slow; the ${slow.length} with the most total time are listed, ${more} ` +
            'more are not.'
          : ''),
      recommendation: explainRecommendation(s, ctx.server),
      evidence: {
        ...statementEvidence(s, read),
        value: round(s.meanMs, 3),
        threshold_mean_ms: SLOW_MEAN_MS,
        threshold_calls: SLOW_MIN_CALLS,
        slow_statements: read.slowCount,
        listed: slow.length,
        not_listed: more,
        cap: LIST_CAP,
      },
    }));
  },
};
