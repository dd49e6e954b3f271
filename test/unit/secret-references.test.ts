import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

// SSM Parameter Store and Secrets Manager as the AWS SDK sees them: JSON over HTTP, the operation in X-Amz-Target.
const stored: Record<string, string> = {
  'AmazonSSM.GetParameter /pg-reviewer/test/database-url': 'postgres://reviewer:pw@db.example.com/reviewer',
  'secretsmanager.GetSecretValue pg-reviewer/test/api-tokens': 'a'.repeat(40),
};
const requests: string[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const { Name, SecretId } = JSON.parse(body) as { Name?: string; SecretId?: string };
      const key = `${target} ${Name ?? SecretId}`;
      requests.push(key);
      const value = stored[key];
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({ __type: Name ? 'ParameterNotFound' : 'ResourceNotFoundException', message: 'not found' }),
        );
      } else if (Name) res.end(JSON.stringify({ Parameter: { Name, Type: 'SecureString', Value: value } }));
      else res.end(JSON.stringify({ Name: SecretId, SecretString: value }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  requests.length = 0;
  vi.resetModules();
});

async function freshEnv(vars: Record<string, string>) {
  process.env = {
    ...saved,
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    ...vars,
  };
  return import('../../lib/env.js');
}

// Loading the AWS SDK's clients takes seconds on a busy machine.
describe('settings kept in SSM Parameter Store or Secrets Manager', { timeout: 30_000 }, () => {
  it('are read once per container, before use, and replace the references', async () => {
    const { env, loadSecretSettings } = await freshEnv({
      DATABASE_URL: 'ssm:/pg-reviewer/test/database-url',
      API_TOKENS: 'secretsmanager:pg-reviewer/test/api-tokens',
    });
    expect(() => env()).toThrow(
      'Invalid configuration: DATABASE_URL, API_TOKENS not read yet: loadSecretSettings() must run first',
    );
    await loadSecretSettings();
    await loadSecretSettings();
    expect(env().DATABASE_URL).toBe('postgres://reviewer:pw@db.example.com/reviewer');
    expect(env().API_TOKENS).toEqual(['a'.repeat(40)]);
    expect(requests.sort()).toEqual([
      'AmazonSSM.GetParameter /pg-reviewer/test/database-url',
      'secretsmanager.GetSecretValue pg-reviewer/test/api-tokens',
    ]);
  });

  it('name the setting and where it was looked for when it cannot be read, and try again next time', async () => {
    const { loadSecretSettings } = await freshEnv({ DATABASE_URL: 'ssm:/pg-reviewer/test/missing' });
    await expect(loadSecretSettings()).rejects.toThrow(
      'Invalid configuration: DATABASE_URL could not be read from ssm:/pg-reviewer/test/missing: ParameterNotFound',
    );
    await expect(loadSecretSettings()).rejects.toThrow('ParameterNotFound');
    expect(requests).toHaveLength(2);
  });

  it('cost nothing when no setting is a reference', async () => {
    const { env, loadSecretSettings } = await freshEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' });
    await loadSecretSettings();
    expect(env().DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/x');
    expect(requests).toEqual([]);
  });
});
