import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/analyses/types.js';
import { eventsForRun, MAX_EVENT_FINDINGS, type RecordedRun } from '../../../lib/notifications/event-document.js';

const finding = (check: string, severity: Finding['severity'], object = 'public.t'): Finding => ({
  check,
  severity,
  object,
  title: `${check} title`,
  detail: `${check} detail`,
  recommendation: `-- fix ${check}`,
  evidence: {},
});
const ref = (f: Finding) => ({ check: f.check, object: f.object, severity: f.severity, title: f.title });

const critical = finding('tables.wraparound', 'critical');
const warning = finding('tables.missing_primary_key', 'warning');
const info = finding('tables.unused_index', 'info');

function run(overrides: Partial<RecordedRun> = {}): RecordedRun {
  return {
    id: 10,
    status: 'completed',
    trigger: 'schedule',
    taskId: 3,
    taskName: 'Nightly',
    taskType: 'table_analysis',
    connectionId: 7,
    connectionName: 'prod',
    database: 'app',
    errorMessage: null,
    summary: { critical: 1, warning: 1, info: 1, not_assessable: 0 },
    changes: { previous_execution_id: 9, new: [], resolved: [], worsened: [] },
    findings: [critical, warning, info],
    ...overrides,
  };
}

const channel = {
  id: 1,
  events: ['finding.new', 'finding.worsened', 'finding.resolved', 'execution.failed'] as const,
  minSeverity: 'warning' as const,
  connectionIds: null,
  taskIds: null,
};
const now = new Date('2026-01-01T02:00:00.000Z');
const types = (r: RecordedRun, c: Parameters<typeof eventsForRun>[1] = { ...channel, events: [...channel.events] }) =>
  eventsForRun(r, c, null, now).map((e) => e.eventType);

describe('which events a run causes on a channel', () => {
  it('causes nothing when its changes hold nothing', () => {
    expect(types(run())).toEqual([]);
  });

  it('names new findings at or above the lowest severity that counts, most severe first', () => {
    const [event] = eventsForRun(
      run({
        changes: {
          previous_execution_id: 9,
          new: [ref(info), ref(warning), ref(critical)],
          resolved: [],
          worsened: [],
        },
      }),
      { ...channel, events: [...channel.events] },
      null,
      now,
    );
    expect(event.eventType).toBe('finding.new');
    expect(event.document.findings.map((f) => f.check)).toEqual(['tables.wraparound', 'tables.missing_primary_key']);
    expect(event.document.findings[1]).toMatchObject({
      detail: 'tables.missing_primary_key detail',
      recommendation: '-- fix tables.missing_primary_key',
    });
  });

  it('sends nothing when only findings below the channel’s severity changed', () => {
    expect(
      types(run({ changes: { previous_execution_id: 9, new: [ref(info)], resolved: [ref(info)], worsened: [] } })),
    ).toEqual([]);
  });

  it('treats every finding of a task’s first review as new', () => {
    const events = eventsForRun(
      run({ changes: { previous_execution_id: null, new: [], resolved: [], worsened: [] } }),
      { ...channel, events: [...channel.events] },
      null,
      now,
    );
    expect(events.map((e) => e.eventType)).toEqual(['finding.new']);
    expect(events[0].document.findings).toHaveLength(2);
  });

  it('gives worsened and resolved findings their own events, resolved ones without a recommendation', () => {
    const gone = finding('tables.bloat', 'warning', 'public.gone');
    const events = eventsForRun(
      run({
        changes: {
          previous_execution_id: 9,
          new: [],
          resolved: [ref(gone)],
          worsened: [{ ...ref(critical), previous_severity: 'warning', reason: 'severity warning → critical' }],
        },
      }),
      { ...channel, events: [...channel.events] },
      'https://reviewer.example.com/',
      now,
    );
    expect(events.map((e) => e.eventType)).toEqual(['finding.worsened', 'finding.resolved']);
    expect(events[0].document.findings[0]).toMatchObject({
      previous_severity: 'warning',
      reason: 'severity warning → critical',
      recommendation: '-- fix tables.wraparound',
    });
    expect(events[1].document.findings[0]).toMatchObject({ check: 'tables.bloat', detail: null, recommendation: null });
    expect(events[0].document.execution?.report_url).toBe(
      'https://reviewer.example.com/api/v1/scheduler/executions/10/report',
    );
    expect(new Set(events.map((e) => e.document.id)).size).toBe(2);
  });

  it('sends only the event types the channel asked for', () => {
    const changed = run({
      changes: { previous_execution_id: 9, new: [ref(critical)], resolved: [ref(warning)], worsened: [] },
    });
    expect(types(changed, { ...channel, events: ['finding.resolved'] })).toEqual(['finding.resolved']);
  });

  it('tells of a failed run only to channels that asked, whatever its severity setting', () => {
    const failed = run({
      status: 'failed',
      errorMessage: 'connection refused',
      changes: null,
      findings: [],
      summary: null,
    });
    expect(types(failed, { ...channel, events: [...channel.events], minSeverity: 'critical' })).toEqual([
      'execution.failed',
    ]);
    expect(types(failed, { ...channel, events: ['finding.new'] })).toEqual([]);
  });

  it('keeps to the channel’s connections and tasks', () => {
    const changed = run({ changes: { previous_execution_id: 9, new: [ref(critical)], resolved: [], worsened: [] } });
    expect(types(changed, { ...channel, events: [...channel.events], connectionIds: [7] })).toEqual(['finding.new']);
    expect(types(changed, { ...channel, events: [...channel.events], connectionIds: [8] })).toEqual([]);
    expect(types(changed, { ...channel, events: [...channel.events], taskIds: [3, 4] })).toEqual(['finding.new']);
    expect(types(changed, { ...channel, events: [...channel.events], taskIds: [4] })).toEqual([]);
    expect(types({ ...changed, taskId: null }, { ...channel, events: [...channel.events], taskIds: [3] })).toEqual([]);
  });

  it('lists at most 100 findings and says how many it left out', () => {
    const many = Array.from({ length: 130 }, (_, i) =>
      finding('tables.missing_primary_key', i < 5 ? 'critical' : 'warning', `public.t${i}`),
    );
    const [event] = eventsForRun(
      run({ findings: many, changes: { previous_execution_id: null } }),
      { ...channel, events: [...channel.events] },
      null,
      now,
    );
    expect(event.document.findings).toHaveLength(MAX_EVENT_FINDINGS);
    expect(event.document.findings_omitted).toBe(30);
    expect(event.document.findings.slice(0, 5).every((f) => f.severity === 'critical')).toBe(true);
  });
});
