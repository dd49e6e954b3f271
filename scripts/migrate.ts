import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { closeDb, getDb } from '../db/client.js';

// Applied by `npm start`, by the test set-up and on deploy; never on a Lambda cold start.
await migrate(getDb(), { migrationsFolder: new URL('../db/migrations', import.meta.url).pathname });
await closeDb();
