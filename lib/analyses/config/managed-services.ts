import type { ManagedProvider } from '../types.js';

interface ProviderFacts {
  name: string;
  /** Superusers the provider owns and operates the service with; the customer cannot change them. */
  superusers: string[];
  /** Where the customer changes a server setting instead of ALTER SYSTEM. */
  settings: string;
  /** How the customer reads the server log, which the service does not let a role read over SQL. */
  logs: string;
}

export const managedProviders: Record<ManagedProvider, ProviderFacts> = {
  aws_rds: {
    name: 'Amazon RDS',
    superusers: ['rdsadmin'],
    settings: "the instance's DB parameter group (aws rds modify-db-parameter-group)",
    logs: 'publish the postgresql log to CloudWatch Logs (aws rds modify-db-instance --cloudwatch-logs-export-configuration), or download it with aws rds download-db-log-file-portion',
  },
  aws_aurora: {
    name: 'Amazon Aurora',
    superusers: ['rdsadmin'],
    settings: 'the DB cluster parameter group or DB parameter group (aws rds modify-db-cluster-parameter-group)',
    logs: 'publish the postgresql log to CloudWatch Logs (aws rds modify-db-cluster --cloudwatch-logs-export-configuration)',
  },
  gcp_cloudsql: {
    name: 'Cloud SQL',
    superusers: ['cloudsqladmin'],
    settings: "the instance's database flags (gcloud sql instances patch --database-flags)",
    logs: 'read it in Cloud Logging (gcloud logging read \'resource.type="cloudsql_database"\')',
  },
  azure: {
    name: 'Azure Database for PostgreSQL',
    superusers: ['azuresu', 'azure_superuser'],
    settings: 'the server parameters (az postgres flexible-server parameter set)',
    logs: 'send PostgreSQLLogs to Log Analytics with a diagnostic setting, or download the server logs (az postgres flexible-server server-logs download)',
  },
};

export function isProviderSuperuser(provider: ManagedProvider | null, role: string): boolean {
  return provider !== null && managedProviders[provider].superusers.includes(role);
}

/**
 * ALTER SYSTEM is refused on managed services (no superuser, no postgresql.auto.conf): the same
 * change goes through the provider's parameter mechanism. Statements are rewritten one by one,
 * keeping the setting and value the advice names; pg_reload_conf() goes with them.
 */
export function adviseForProvider(recommendation: string | null, provider: ManagedProvider | null): string | null {
  if (!recommendation || !provider || !/ALTER SYSTEM/i.test(recommendation)) return recommendation;
  const { name, settings } = managedProviders[provider];
  const rewritten = recommendation
    .replace(
      /ALTER SYSTEM SET\s+([a-z_.]+)\s*(?:=|TO)\s*([^;]+);/gi,
      (_, setting: string, value: string) => `set ${setting} = ${value.trim()} in ${settings};`,
    )
    .replace(
      /ALTER SYSTEM RESET\s+([a-z_.]+);/gi,
      (_, setting: string) => `reset ${setting} to its default in ${settings};`,
    )
    .replace(/\s*SELECT pg_reload_conf\(\);/gi, '');
  return (
    `${rewritten} (On ${name} server settings are changed there, not with SQL; some apply only after a reboot ` +
    'of the instance.)'
  );
}
