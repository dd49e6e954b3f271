/** Rows a dashboard list page shows unless its `limit` says otherwise; links leave that default out. */
export const PER_PAGE = 50;

/**
 * Links to one dashboard page that keep its filters: `extra` (a cursor) is added to them, and what is
 * undefined is left out of the query string.
 */
export function pageLinks(path: string, filters: Record<string, unknown>) {
  return (extra: Record<string, unknown>): string => {
    const params = new URLSearchParams(
      Object.entries({ ...filters, ...extra })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    return `${path}${params.size ? `?${params}` : ''}`;
  };
}
