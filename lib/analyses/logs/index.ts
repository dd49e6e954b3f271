import type { Check } from '../types.js';

/** log_analysis: the server log read over SQL, incrementally. */
export const logChecks: Check[] = [];
