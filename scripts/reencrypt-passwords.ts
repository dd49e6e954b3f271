import { closeDb, getDb } from '../db/client.js';
import { reencryptPasswords } from '../lib/crypto/reencrypt-passwords.js';
import { loadSecretSettings } from '../lib/env.js';

// `npm run passwords:reencrypt` with the stage's DATABASE_URL and ENCRYPTION_KEYS (newest first): every stored
// connection password is sealed again with the newest key. Exits 1 while some password cannot be read.
await loadSecretSettings();
const report = await reencryptPasswords(getDb());
await closeDb();
console.log(
  `re-encrypted ${report.reencrypted}, already on the newest key ${report.alreadyCurrent}, changed meanwhile ${report.changedMeanwhile}, ` +
    `unreadable ${report.unreadable.length}`,
);
for (const { id, reason } of report.unreadable) console.log(`  connection ${id}: ${reason}`);
if (report.unreadable.length > 0) process.exitCode = 1;
