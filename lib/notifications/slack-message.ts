import type { Severity } from '../analyses/types.js';
import type { EventDocument, EventFinding } from './event-document.js';

// Slack's limits for incoming webhooks (Block Kit reference): at most 50 blocks, a header's plain
// text up to 150 characters, a section's text up to 3000. A message over any of them is refused whole.
export const SLACK_LIMITS = { blocks: 50, headerChars: 150, sectionChars: 3000, contextElements: 10 } as const;

// Header, summary, counts, divider, report link and the "more" note leave this many for findings.
const MAX_FINDING_BLOCKS = 40;

type Text = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: Text }
  | { type: 'section'; text: Text }
  | { type: 'context'; elements: Text[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Shown in notifications and by clients that cannot draw blocks. */
  text: string;
  blocks: SlackBlock[];
}

const marker: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
};

const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
// Slack's mrkdwn reads &, < and > as control characters (links, mentions).
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (text: string) => `\`\`\`${escape(text).replace(/```/g, "'''")}\`\`\``;
const mrkdwn = (text: string): Text => ({ type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionChars) });
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text) });

const headlines: Record<EventDocument['type'], (count: number) => string> = {
  'finding.new': (n) => `${n} new finding${n === 1 ? '' : 's'}`,
  'finding.worsened': (n) => `${n} finding${n === 1 ? '' : 's'} got worse`,
  'finding.resolved': (n) => `${n} finding${n === 1 ? '' : 's'} resolved`,
  'execution.failed': () => 'Review failed',
  test: () => 'pg-reviewer test message',
};

/** The Block Kit message for one event. */
export function slackMessage(event: EventDocument): SlackMessage {
  const count = event.findings.length + event.findings_omitted;
  const where = event.connection ? ` · ${event.connection.name ?? `connection ${event.connection.id}`}` : '';
  const headline = `${headlines[event.type](count)}${where}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(headline, SLACK_LIMITS.headerChars), emoji: true } },
  ];

  if (event.type === 'test') {
    blocks.push(
      section(`${escape(event.task?.name ?? 'Test message')}: notifications from pg-reviewer will arrive here.`),
    );
    return { text: headline, blocks };
  }
  blocks.push(section(runLines(event)));
  if (event.summary) {
    const s = event.summary;
    blocks.push({
      type: 'context',
      elements: [
        mrkdwn(
          `Critical *${s.critical}* · Warning *${s.warning}* · Info *${s.info}* · Not assessable *${s.not_assessable}*`,
        ),
      ],
    });
  }
  if (event.type === 'execution.failed' && event.execution?.error_message)
    blocks.push(section(`*Error*\n${code(truncate(event.execution.error_message, 2800))}`));
  if (event.findings.length > 0) blocks.push({ type: 'divider' });
  const shown = event.findings.slice(0, MAX_FINDING_BLOCKS);
  for (const finding of shown) blocks.push(section(findingText(finding, event.type)));
  const omitted = count - shown.length;
  if (omitted > 0)
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`…and ${omitted} more${event.execution?.report_url ? ' in the report' : ''}.`)],
    });
  if (event.execution?.report_url)
    blocks.push(section(`<${event.execution.report_url}|Open the report of run #${event.execution.id}>`));
  return { text: headline, blocks };
}

function runLines(event: EventDocument): string {
  const lines: string[] = [];
  if (event.task)
    lines.push(
      `*Task:* ${escape(event.task.name ?? `task ${event.task.id ?? '(deleted)'}`)} (\`${event.task.task_type}\`)`,
    );
  if (event.connection) {
    const database = event.connection.database ? ` · database \`${escape(event.connection.database)}\`` : '';
    lines.push(`*Connection:* ${escape(event.connection.name ?? `connection ${event.connection.id}`)}${database}`);
  }
  if (event.execution)
    lines.push(`*Run:* #${event.execution.id} (${event.execution.trigger}) · ${event.execution.status}`);
  return lines.join('\n');
}

function findingText(finding: EventFinding, type: EventDocument['type']): string {
  const change = type === 'finding.worsened' && finding.reason ? ` (${escape(finding.reason)})` : '';
  const head = `${marker[finding.severity]} *${finding.severity.toUpperCase()} · ${escape(finding.title)}*${change}`;
  const object = finding.object ? `\n\`${escape(finding.object)}\`` : '';
  const detail = finding.detail ? `\n${escape(finding.detail)}` : '';
  const fixed = `${head}${object}${detail}`;
  if (type === 'finding.resolved' || !finding.recommendation) return fixed;
  // The recommendation is cut, not the headline: the finding stays named whatever its SQL's length.
  const room = SLACK_LIMITS.sectionChars - fixed.length - '\n*Recommendation*\n``````'.length - 1;
  if (room < 40) return fixed;
  return `${fixed}\n*Recommendation*\n${code(truncate(finding.recommendation, room))}`;
}
