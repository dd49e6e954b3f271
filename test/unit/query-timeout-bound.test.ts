import { afterEach, describe, expect, it, vi } from 'vitest';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

async function parseWith(consumerTimeout: string | undefined) {
  process.env = { ...saved };
  if (consumerTimeout === undefined) delete process.env.CONSUMER_TIMEOUT_SECONDS;
  else process.env.CONSUMER_TIMEOUT_SECONDS = consumerTimeout;
  return (await import('../../lib/tasks/task-params.js')).parseTaskParams;
}

describe('the query_timeout bound', () => {
  it('is the default 900 s consumer timeout less its 360 s reserve', async () => {
    const parseTaskParams = await parseWith(undefined);
    expect(parseTaskParams('config_check', { query_timeout: 540 }).query_timeout).toBe(540);
    expect(() => parseTaskParams('config_check', { query_timeout: 541 })).toThrow(
      'Invalid request body: task_params.query_timeout: query_timeout must be at most 540 s: what one ' +
        'consumer invocation can finish (its 900 s timeout less the 360 s it keeps in reserve)',
    );
  });

  it('follows the configured consumer timeout', async () => {
    const parseTaskParams = await parseWith('600');
    expect(parseTaskParams('config_check', { query_timeout: 240 }).query_timeout).toBe(240);
    expect(() => parseTaskParams('config_check', { query_timeout: 241 })).toThrow(/at most 240 s: .*its 600 s timeout/);
  });

  it('refuses a consumer timeout that leaves no time past the reserve', async () => {
    const parseTaskParams = await parseWith('300');
    expect(() => parseTaskParams('config_check', {})).toThrow(/CONSUMER_TIMEOUT_SECONDS/);
  });
});
