import { describe, expect, it } from 'vitest';
import {
  EVENT_DOCUMENT_VERSION,
  type EventDocument,
  type EventFinding,
} from '../../../lib/notifications/event-document.js';
import { slackMessage } from '../../../lib/notifications/slack-message.js';
import { blockKitProblems } from '../../helpers/slack-block-kit.js';

const finding = (i: number, size = 100): EventFinding => ({
  check: 'tables.missing_primary_key',
  object: `public.table_${i}`,
  severity: i % 3 === 0 ? 'critical' : 'warning',
  title: 'Table has no primary key',
  detail: `public.table_${i} has no primary key & <no> replica identity`,
  recommendation: `ALTER TABLE public.table_${i} ADD PRIMARY KEY (id); -- ${'x'.repeat(size)} \`\`\` end`,
});

function event(overrides: Partial<EventDocument> = {}): EventDocument {
  return {
    version: EVENT_DOCUMENT_VERSION,
    id: '00000000-0000-4000-8000-000000000000',
    type: 'finding.new',
    created_at: '2026-01-01T02:00:00.000Z',
    execution: {
      id: 42,
      status: 'completed',
      trigger: 'schedule',
      error_message: null,
      report_url: 'https://reviewer.example.com/api/v1/scheduler/executions/42/report',
    },
    task: { id: 3, name: 'Nightly tables', task_type: 'table_analysis' },
    connection: { id: 7, name: 'prod', database: 'app' },
    summary: { critical: 1, warning: 2, info: 0, not_assessable: 1 },
    findings: [finding(0)],
    findings_omitted: 0,
    ...overrides,
  };
}

describe('the Slack message of an event', () => {
  it(
    'names the connection and task, counts by severity, each finding with its recommendation, and links the ' +
      'report',
    () => {
      const message = slackMessage(event());
      expect(blockKitProblems(message)).toEqual([]);
      expect(message.text).toBe('1 new finding · prod');
      const text = JSON.stringify(message.blocks);
      expect(text).toContain('Nightly tables');
      expect(text).toContain('Critical *1* · Warning *2* · Info *0* · Not assessable *1*');
      expect(text).toContain('ALTER TABLE public.table_0 ADD PRIMARY KEY (id);');
      expect(text).toContain('<https://reviewer.example.com/api/v1/scheduler/executions/42/report|');
      // Slack reads <, > and & as markup: a finding's text cannot make a link or a mention.
      expect(text).toContain('&amp; &lt;no&gt; replica');
    },
  );

  it('stays within 50 blocks and Slack’s text limits however many and however long the findings', () => {
    const message = slackMessage(
      event({
        findings: Array.from({ length: 100 }, (_, i) => finding(i, 5000)),
        findings_omitted: 20,
        connection: { id: 7, name: 'p'.repeat(400), database: 'app' },
      }),
    );
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(message.blocks.at(-2))).toContain('…and 80 more in the report');
  });

  it('shows a failed run’s error and no findings', () => {
    const message = slackMessage(
      event({
        type: 'execution.failed',
        findings: [],
        summary: null,
        execution: {
          id: 42,
          status: 'failed',
          trigger: 'manual',
          error_message: 'connection refused',
          report_url: null,
        },
      }),
    );
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.text).toBe('Review failed · prod');
    expect(JSON.stringify(message.blocks)).toContain('connection refused');
  });

  it('is a valid message for a test event', () => {
    expect(
      blockKitProblems(
        slackMessage(event({ type: 'test', execution: null, connection: null, summary: null, findings: [] })),
      ),
    ).toEqual([]);
  });

  it('is caught by the shape check when it breaks a limit, so the checks above can fail', () => {
    const message = slackMessage(event());
    expect(
      blockKitProblems({
        ...message,
        blocks: [...message.blocks, ...Array.from({ length: 50 }, () => ({ type: 'divider' }))],
      }),
    ).toContain(`blocks: ${message.blocks.length + 50}, over 50`);
    expect(
      blockKitProblems({
        ...message,
        blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      })[0],
    ).toMatch(/over 150/);
    expect(
      blockKitProblems({
        ...message,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }],
      })[0],
    ).toMatch(/over 3000/);
  });
});
