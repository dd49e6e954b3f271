import type { Db } from '../../db/client.js';
import { listStoredPasswords, replacePasswordEnvelope } from '../../db/queries/connections.js';
import { decryptSecret, encryptSecret, envelopeKeyId, newestKeyId } from './secret-box.js';

export interface ReencryptReport {
  /** Passwords now sealed with the newest key that were not before. */
  reencrypted: number;
  /** Already sealed with the newest key. */
  alreadyCurrent: number;
  /** Changed by someone else between reading and writing: their new envelope is from the newest key anyway. */
  changedMeanwhile: number;
  /** Connections whose password no configured key opens, with the reason (never the envelope). */
  unreadable: Array<{ id: number; reason: string }>;
}

/**
 * Seals every stored connection password with the newest of ENCRYPTION_KEYS. Run it after putting a new key
 * first in ENCRYPTION_KEYS and deploying; once it reports nothing left, the old key can be removed.
 */
export async function reencryptPasswords(db: Db): Promise<ReencryptReport> {
  const report: ReencryptReport = { reencrypted: 0, alreadyCurrent: 0, changedMeanwhile: 0, unreadable: [] };
  const newest = newestKeyId();
  for (const { id, passwordEncrypted } of await listStoredPasswords(db)) {
    if (envelopeKeyId(passwordEncrypted) === newest) {
      report.alreadyCurrent++;
      continue;
    }
    let password: string;
    try {
      password = decryptSecret(passwordEncrypted);
    } catch (error) {
      report.unreadable.push({ id, reason: (error as Error).message });
      continue;
    }
    if (await replacePasswordEnvelope(db, id, passwordEncrypted, encryptSecret(password))) report.reencrypted++;
    else report.changedMeanwhile++;
  }
  return report;
}
