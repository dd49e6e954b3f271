import { randomUUID } from 'node:crypto';
import type { ChannelRow, NotificationEventType } from '../../db/schema/index.js';
import type { Changes, Finding, FindingRef, ReviewResult, Severity } from '../analyses/types.js';

/** Bumped when a field changes meaning or goes away; new fields may appear within a version. */
export const EVENT_DOCUMENT_VERSION = 1;

// A first review of a big database can find hundreds of things; a message names the worst ones.
export const MAX_EVENT_FINDINGS = 100;

export interface EventFinding {
  check: string;
  object: string | null;
  severity: Severity;
  title: string;
  /** Null for a resolved finding: it is no longer measured. */
  detail: string | null;
  recommendation: string | null;
  previous_severity?: Severity;
  /** What got worse, for finding.worsened. */
  reason?: string;
}

/** What a webhook receives (and what a Slack message is rendered from). */
export interface EventDocument {
  version: typeof EVENT_DOCUMENT_VERSION;
  id: string;
  type: NotificationEventType | 'test';
  created_at: string;
  execution: {
    id: number;
    status: string;
    trigger: string;
    error_message: string | null;
    report_url: string | null;
  } | null;
  task: { id: number | null; name: string | null; task_type: string } | null;
  connection: { id: number; name: string | null; database: string | null } | null;
  summary: ReviewResult['summary'] | null;
  findings: EventFinding[];
  /** Findings of this event left out of `findings` (the least severe) to keep the message readable. */
  findings_omitted: number;
}

/** A finished execution as read back in the transaction that recorded it. */
export interface RecordedRun {
  id: number;
  status: string;
  trigger: string;
  taskId: number | null;
  taskName: string | null;
  taskType: string;
  connectionId: number;
  connectionName: string | null;
  database: string | null;
  errorMessage: string | null;
  summary: ReviewResult['summary'] | null;
  changes: Partial<Changes> | null;
  findings: Finding[];
}

export interface QueuedEvent {
  channelId: number;
  executionId: number;
  eventType: NotificationEventType;
  document: EventDocument;
}

const rank: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const key = (f: { check: string; object: string | null }) => `${f.check}\u0000${f.object ?? ''}`;
const bySeverity = (a: { severity: Severity }, b: { severity: Severity }) => rank[b.severity] - rank[a.severity];

type Channel = Pick<ChannelRow, 'id' | 'events' | 'minSeverity' | 'connectionIds' | 'taskIds'>;

/** Whether the channel's scope takes runs of this connection and task. */
export function inScope(channel: Channel, run: Pick<RecordedRun, 'connectionId' | 'taskId'>): boolean {
  if (channel.connectionIds && !channel.connectionIds.includes(run.connectionId)) return false;
  if (channel.taskIds && (run.taskId === null || !channel.taskIds.includes(run.taskId))) return false;
  return true;
}

/**
 * The events one finished run causes on one channel: one per event type that has something the
 * channel's rule takes, none when nothing changed. A task's first review has nothing to compare
 * with, so everything it finds is new: that is when a user most needs to hear about it.
 */
export function eventsForRun(
  run: RecordedRun,
  channel: Channel,
  reportBaseUrl: string | null,
  now: Date,
): QueuedEvent[] {
  if (!inScope(channel, run)) return [];
  const wanted = new Set(channel.events);
  const events: QueuedEvent[] = [];
  const event = (eventType: NotificationEventType, findings: EventFinding[]) =>
    events.push({
      channelId: channel.id,
      executionId: run.id,
      eventType,
      document: documentFor(run, eventType, findings, reportBaseUrl, now),
    });

  if (run.status === 'failed') {
    if (wanted.has('execution.failed')) event('execution.failed', []);
    return events;
  }
  const current = new Map(run.findings.map((f) => [key(f), f]));
  const firstRun = !run.changes || run.changes.previous_execution_id == null;
  const counts = (f: { severity: Severity }) => rank[f.severity] >= rank[channel.minSeverity];
  const described = (ref: FindingRef, extra: Partial<EventFinding> = {}): EventFinding => {
    const finding = current.get(key(ref));
    return {
      check: ref.check,
      object: ref.object,
      severity: ref.severity,
      title: ref.title,
      detail: finding?.detail ?? null,
      recommendation: finding?.recommendation ?? null,
      ...extra,
    };
  };

  const fresh = firstRun ? run.findings : (run.changes?.new ?? []);
  const groups: Array<[NotificationEventType, EventFinding[]]> = [
    ['finding.new', fresh.filter(counts).map((f) => described(f))],
    [
      'finding.worsened',
      (run.changes?.worsened ?? [])
        .filter(counts)
        .map((f) => described(f, { previous_severity: f.previous_severity, reason: f.reason })),
    ],
    // A resolved finding counts by the severity it had.
    ['finding.resolved', (run.changes?.resolved ?? []).filter(counts).map((f) => described(f))],
  ];
  for (const [eventType, findings] of groups)
    if (wanted.has(eventType) && findings.length > 0) event(eventType, findings);
  return events;
}

function documentFor(
  run: RecordedRun,
  type: NotificationEventType,
  findings: EventFinding[],
  reportBaseUrl: string | null,
  now: Date,
): EventDocument {
  const listed = [...findings].sort(bySeverity).slice(0, MAX_EVENT_FINDINGS);
  return {
    version: EVENT_DOCUMENT_VERSION,
    id: randomUUID(),
    type,
    created_at: now.toISOString(),
    execution: {
      id: run.id,
      status: run.status,
      trigger: run.trigger,
      error_message: run.errorMessage,
      report_url: reportUrl(reportBaseUrl, run.id),
    },
    task: { id: run.taskId, name: run.taskName, task_type: run.taskType },
    connection: { id: run.connectionId, name: run.connectionName, database: run.database },
    summary: run.summary,
    findings: listed,
    findings_omitted: findings.length - listed.length,
  };
}

export function reportUrl(baseUrl: string | null, executionId: number): string | null {
  if (!baseUrl) return null;
  return `${baseUrl.replace(/\/+$/, '')}/api/v1/scheduler/executions/${executionId}/report`;
}

/** The message a channel's test button sends: it names the channel and nothing of any database. */
export function testDocument(channelName: string, now: Date): EventDocument {
  return {
    version: EVENT_DOCUMENT_VERSION,
    id: randomUUID(),
    type: 'test',
    created_at: now.toISOString(),
    execution: null,
    task: { id: null, name: `Test message for channel "${channelName}"`, task_type: 'test' },
    connection: null,
    summary: null,
    findings: [],
    findings_omitted: 0,
  };
}
