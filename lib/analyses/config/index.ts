import type { Check } from '../types.js';
import { activityChecks } from './activity-checks.js';
import { cacheHitChecks } from './cache-hit-checks.js';
import { checkpointChecks } from './checkpoint-check.js';
import { configFileChecks } from './config-file-checks.js';
import { databaseStatsChecks } from './database-stats-checks.js';
import { driftChecks } from './drift-check.js';
import { durabilityChecks } from './durability-checks.js';
import { extensionChecks } from './extension-checks.js';
import { hbaChecks } from './hba-checks.js';
import { adviseForProvider } from './managed-services.js';
import { networkChecks } from './network-checks.js';
import { objectPrivilegeChecks } from './object-privilege-checks.js';
import { observabilityChecks } from './observability-checks.js';
import { passwordChecks } from './password-checks.js';
import { plannerAndMemoryChecks } from './planner-and-memory-checks.js';
import { replicationChecks } from './replication-checks.js';
import { roleChecks } from './role-checks.js';
import { sessionChecks } from './session-checks.js';
import { versionChecks } from './version-check.js';

/** On a managed service, advice that says ALTER SYSTEM is given in the provider's terms instead. */
function inProviderTerms(check: Check): Check {
  return {
    ...check,
    async run(ctx) {
      const findings = await check.run(ctx);
      const provider = ctx.server.provider;
      return provider
        ? findings.map((f) => ({ ...f, recommendation: adviseForProvider(f.recommendation, provider) }))
        : findings;
    },
  };
}

/** config_check: settings (config), server-wide activity and statistics (performance), roles and access (security). */
export const configChecks: Check[] = [
  // config
  ...replicationChecks,
  ...durabilityChecks,
  ...plannerAndMemoryChecks,
  ...configFileChecks,
  ...observabilityChecks,
  ...sessionChecks,
  ...versionChecks,
  ...driftChecks,
  // performance
  ...cacheHitChecks,
  ...checkpointChecks,
  ...databaseStatsChecks,
  ...activityChecks,
  // security
  ...roleChecks,
  ...passwordChecks,
  ...networkChecks,
  ...hbaChecks,
  ...objectPrivilegeChecks,
  ...extensionChecks,
].map(inProviderTerms);
