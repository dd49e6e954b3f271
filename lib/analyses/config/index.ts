import type { Check } from '../types.js';

/** config_check: settings (config), server-wide activity and statistics (performance), roles and access (security). */
export const configChecks: Check[] = [];
