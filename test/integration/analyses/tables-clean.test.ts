import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, type TargetDatabase } from '../../helpers/target-db.js';
import { findingsOf } from '../../helpers/findings.js';

describe('table_analysis on a well-formed database', () => {
  let db: TargetDatabase;
  let result: ReviewResult;

  beforeAll(async () => {
    db = await createTargetDatabase('tables_clean');
    await db.admin.unsafe(`
      create table authors (id bigint generated always as identity primary key, name text not null);
      create table books (
        id bigint generated always as identity primary key,
        author_id bigint not null references authors (id),
        title text not null
      );
      create index books_author_id on books (author_id);
      insert into authors (name) select 'author ' || g from generate_series(1, 200) g;
      insert into books (author_id, title) select 1 + g % 200, 'book ' || g from generate_series(1, 3000) g;
      analyze authors;
      analyze books;
    `);
    result = await runAnalysis({
      taskType: 'table_analysis',
      params: { query_timeout: 60, analysis_target: 'tables' },
      target: db.options(),
      previous: null,
    });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('raises nothing critical or warning', () => {
    const alarming = result.findings.filter((f) => f.severity !== 'info');
    expect(alarming).toEqual([]);
    expect(result.not_assessable).toEqual([]);
  });

  it('does not call the index behind a foreign key unused, though nothing has scanned it yet', () => {
    expect(findingsOf(result, 'tables.unused_index')).toEqual([]);
    expect(findingsOf(result, 'tables.unindexed_foreign_key')).toEqual([]);
  });

  it('still lists the tables by size for information', () => {
    expect(findingsOf(result, 'tables.largest_relations').map((f) => f.object)).toEqual([
      'public.books',
      'public.authors',
    ]);
  });

  it('runs only the performance-relevant checks under the performance target', async () => {
    const performance = await runAnalysis({
      taskType: 'table_analysis',
      params: { query_timeout: 60, analysis_target: 'performance' },
      target: db.options(),
      previous: null,
    });
    expect(performance.analysis_target).toBe('performance');
    expect(findingsOf(performance, 'tables.largest_relations')).toEqual([]);
    expect(performance.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});
