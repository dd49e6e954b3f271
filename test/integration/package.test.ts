import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npx serverless package` as a deploy pipeline runs it, with no AWS account or credentials:
// every function of serverless.yml must be in the CloudFormation template and its bundle must load.

const run = promisify(execFile);
const STAGE = 'ci';
const work = mkdtempSync(join(tmpdir(), 'pgr-package-'));
const out = join(work, 'package');
let template: Record<string, { Type: string; Properties: Record<string, any> }>;
let packageLog = '';

interface DeclaredFunction {
  name: string;
  handler: string;
}

/** The functions and HTTP routes declared in serverless.yml, read from the file itself. */
function declared(): { functions: DeclaredFunction[]; routes: string[] } {
  const yml = readFileSync('serverless.yml', 'utf8');
  const section = yml.slice(yml.indexOf('\nfunctions:\n'));
  const functions = [...section.matchAll(/^ {2}(\w+):\n {4}handler: (\S+)$/gm)].map((m) => ({ name: m[1], handler: m[2] }));
  const routes = [...section.matchAll(/httpApi: \{ method: '?([A-Z*]+)'?, path: (?:'([^']+)'|([^\s}]+)) \}/g)].map((m) => `${m[1] === '*' ? 'ANY' : m[1]} ${m[2] ?? m[3]}`);
  return { functions, routes };
}

const logicalId = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
const resourcesOf = (type: string) => Object.entries(template).filter(([, r]) => r.Type === type);

/** The entries of a zip archive (stored or deflated), read through its central directory. */
function unzip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let entry = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(entry + 10);
    const size = zip.readUInt32LE(entry + 20);
    const nameLength = zip.readUInt16LE(entry + 28);
    const name = zip.toString('utf8', entry + 46, entry + 46 + nameLength);
    const local = zip.readUInt32LE(entry + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    files.set(name, method === 8 ? inflateRawSync(data) : data);
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
  }
  return files;
}

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // No credentials anywhere: packaging must not need an AWS account.
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    AWS_CONFIG_FILE: join(work, 'no-config'),
    // Built outside the project's .esbuild, which serverless-offline may be serving from right now.
    ESBUILD_WORK_FOLDER: relative(process.cwd(), join(work, 'esbuild')),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[key];
  try {
    const { stdout, stderr } = await run('npx', ['serverless', 'package', '--stage', STAGE, '--package', out], { env, maxBuffer: 20 * 2 ** 20 });
    packageLog = stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`serverless package failed: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`);
  }
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('npx serverless package --stage ci', () => {
  it('packages without AWS credentials', () => {
    expect(packageLog).toContain(`Packaging pg-reviewer for stage ${STAGE}`);
    expect(packageLog).toMatch(/Service packaged/);
  });

  it('has a Lambda function for every function in serverless.yml, and no other', () => {
    const { functions } = declared();
    expect(functions.length).toBeGreaterThanOrEqual(20);
    expect(functions.map((f) => f.name)).toEqual(expect.arrayContaining(['tick', 'consumer', 'executionsReport']));
    for (const f of functions) {
      const resource = template[logicalId(f.name)];
      expect(resource, `${f.name} is missing from the template`).toBeDefined();
      expect(resource.Properties).toMatchObject({ Handler: f.handler, Runtime: 'nodejs22.x', FunctionName: `pg-reviewer-${STAGE}-${f.name}` });
    }
    expect(resourcesOf('AWS::Lambda::Function').map(([id]) => id).sort()).toEqual(functions.map((f) => logicalId(f.name)).sort());
  });

  it('routes every httpApi event of serverless.yml, the report included', () => {
    const { routes } = declared();
    expect(routes).toContain('GET /api/v1/scheduler/executions/{execution_id}/report');
    const routeKeys = resourcesOf('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routeKeys.sort()).toEqual([...routes].sort());
  });

  it('runs the tick every minute', () => {
    const rules = resourcesOf('AWS::Events::Rule').filter(([, r]) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0] === 'TickLambdaFunction');
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0];
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    const permission = resourcesOf('AWS::Lambda::Permission').find(([, p]) => p.Properties.SourceArn?.['Fn::GetAtt']?.[0] === ruleId);
    expect(permission?.[1].Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': ['TickLambdaFunction', 'Arn'] } });
  });

  it('wires the consumer: its own one-minute schedule, and the right for the other functions to invoke it', () => {
    const rules = resourcesOf('AWS::Events::Rule').filter(([, r]) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0] === 'ConsumerLambdaFunction');
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(1 minute)']);

    const statements = template.IamRoleLambdaExecution.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: { 'Fn::GetAtt': ['ConsumerLambdaFunction', 'Arn'] } });

    const consumer = template.ConsumerLambdaFunction.Properties;
    expect(consumer.Timeout).toBe(900);
    // run, queue and the tick invoke the consumer by this name.
    for (const name of ['tasksRun', 'tasksQueue', 'tick']) {
      expect(template[logicalId(name)].Properties.Environment.Variables.CONSUMER_FUNCTION_NAME).toBe(consumer.FunctionName);
    }
  });

  it('bundles every handler into the artifact, and the bundles load and answer in plain Node', async () => {
    const files = unzip(join(out, 'pg-reviewer.zip'));
    const root = join(work, 'unzipped');
    for (const [name, data] of files) {
      if (name.endsWith('/')) continue;
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), data);
    }
    // The Lambda runtime provides the AWS SDK v3, so the bundles leave it out (serverless.yml, esbuild exclude).
    symlinkSync(join(process.cwd(), 'node_modules/@aws-sdk'), join(root, 'node_modules/@aws-sdk'));
    const bundles = declared().functions.map((f) => join(root, `${f.handler.slice(0, f.handler.lastIndexOf('.'))}.js`));
    for (const bundle of bundles) expect(files.has(relative(root, bundle)), `${relative(root, bundle)} is not in the zip`).toBe(true);

    // As the Lambda runtime does: import each file and call its handler export.
    const script = `
      const [bundles, redirect, report] = JSON.parse(process.argv[1]);
      for (const file of bundles) if (typeof (await import(file)).handler !== 'function') throw new Error(file + ' exports no handler');
      const legacy = await (await import(redirect.file)).handler(redirect.event, {});
      const badId = await (await import(report.file)).handler(report.event, {});
      console.log(JSON.stringify({ legacy, badId }));`;
    const event = (rawPath: string, extra: Record<string, unknown> = {}) => ({ version: '2.0', rawPath, rawQueryString: '', headers: {}, requestContext: { http: { method: 'GET' } }, ...extra });
    const input = [
      bundles,
      { file: join(root, 'functions/legacy/redirect.js'), event: { ...event('/api/scheduler/tasks'), rawQueryString: 'is_active=true' } },
      { file: join(root, 'functions/executions/report.js'), event: event('/api/v1/scheduler/executions/abc/report', { pathParameters: { execution_id: 'abc' } }) },
    ];
    const { stdout } = await run('node', ['--input-type=module', '-e', script, JSON.stringify(input)], { env: { ...process.env, LOG_LEVEL: 'silent', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    const { legacy, badId } = JSON.parse(stdout);
    expect(legacy).toMatchObject({ statusCode: 308, headers: { location: '/api/v1/scheduler/tasks?is_active=true' } });
    expect(badId.statusCode).toBe(400);
    expect(JSON.parse(badId.body).detail).toMatch(/execution_id must be a positive integer/);
  }, 60_000);
});
