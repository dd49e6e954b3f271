import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { closeDb, getDb } from '../db/client.js';
import { env, loadSecretSettings } from '../lib/env.js';
import { exitWithSetupError } from './setup-errors.js';

// Applied by `npm start`, by the test set-up and on deploy; never on a Lambda cold start.
await loadSecretSettings();
try {
  await migrate(getDb(), { migrationsFolder: new URL('../db/migrations', import.meta.url).pathname });
} catch (error) {
  exitWithSetupError(error, env().DATABASE_URL);
} finally {
  await closeDb();
}
