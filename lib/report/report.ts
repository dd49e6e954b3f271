import { z } from 'zod';
import type { APIGatewayProxyResultV2 } from '../http/types.js';
import { loadReportData } from './report-data.js';
import { REPORT_CSP, renderHtml } from './render-html.js';
import { renderMarkdown } from './render-markdown.js';

export const reportFormats = ['html', 'md'] as const;
export type ReportFormat = (typeof reportFormats)[number];

export const reportQuery = z.object({
  format: z.enum(reportFormats, { message: 'format must be html or md' }).default('html'),
});

/** The review of one execution as a page; a 404 (JSON, like every error) for an unknown id. */
export async function executionReport(executionId: number, format: ReportFormat): Promise<APIGatewayProxyResultV2> {
  const data = await loadReportData(executionId);
  if (format === 'md') {
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/markdown; charset=utf-8', 'x-content-type-options': 'nosniff' },
      body: renderMarkdown(data),
    };
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': REPORT_CSP,
      'x-content-type-options': 'nosniff',
    },
    body: renderHtml(data),
  };
}
