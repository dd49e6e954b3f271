import type { DashboardEvent, DashboardResult } from '../../lib/dashboard/access.js';
import { serveDashboard } from '../../lib/dashboard/serve-dashboard.js';
import { loadSecretSettings } from '../../lib/env.js';

/** GET /dashboard and everything under it, POST for sign-in and the buttons: pages for browsers. */
export const handler = async (event: DashboardEvent): Promise<DashboardResult> => {
  await loadSecretSettings();
  return serveDashboard(event);
};
