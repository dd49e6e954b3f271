import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyCycles } from '../helpers/template-cycles.js';

// `npx serverless package` as a deploy pipeline runs it, with no AWS account or credentials: a deployed
// stage is refused without its settings; with them every function of serverless.yml is in a template
// CloudFormation can order, each in its own small artifact whose bundle loads.

const run = promisify(execFile);
const STAGE = 'ci';
const work = mkdtempSync(join(tmpdir(), 'pgr-package-'));
const out = join(work, 'package');
let template: Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string | string[] }>;
let packageLog = '';

interface DeclaredFunction {
  name: string;
  handler: string;
}

/** The functions and HTTP routes declared in serverless.yml, read from the file itself. */
function declared(): { functions: DeclaredFunction[]; routes: string[] } {
  const yml = readFileSync('serverless.yml', 'utf8');
  const section = yml.slice(yml.indexOf('\nfunctions:\n'));
  const functions = [...section.matchAll(/^ {2}(\w+):\n {4}handler: (\S+)$/gm)].map((m) => ({
    name: m[1],
    handler: m[2],
  }));
  const routes = [...section.matchAll(/httpApi: \{ method: '?([A-Z*]+)'?, path: (?:'([^']+)'|([^\s}]+)) \}/g)].map(
    (m) => `${m[1] === '*' ? 'ANY' : m[1]} ${m[2] ?? m[3]}`,
  );
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

// What a pipeline sets for a deployed stage (docs/deploy.md); none of it is contacted while packaging.
const STAGE_SETTINGS = {
  DATABASE_URL: 'postgres://reviewer@db.example.com:5432/reviewer?sslmode=verify-full',
  UPSTASH_REDIS_REST_URL: 'https://example.upstash.io',
  UPSTASH_REDIS_REST_TOKEN: 'ssm:/pg-reviewer/ci/upstash-token',
  ENCRYPTION_KEYS: 'Kx3fJ9q0qv1mM2n8r6T5u4w3y2z1A0B9C8D7E6F5G4I=',
  API_TOKENS: 'a'.repeat(64),
};
const SETTING_NAMES = [...Object.keys(STAGE_SETTINGS), 'ENCRYPTION_KEY', 'API_AUTH', 'LAMBDA_ENDPOINT'];

function packagingEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // No credentials anywhere: packaging must not need an AWS account.
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    AWS_CONFIG_FILE: join(work, 'no-config'),
    // Built outside the project's .esbuild, which serverless-offline may be serving from right now.
    ESBUILD_WORK_FOLDER: relative(process.cwd(), join(work, 'esbuild')),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const key of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    ...SETTING_NAMES,
  ])
    delete env[key];
  return { ...env, ...settings };
}

/** Runs `serverless package`; its output, and whether it succeeded. */
async function packageStage(settings: Record<string, string>, to: string): Promise<{ ok: boolean; log: string }> {
  // Output goes to a file, so a run that does not finish still shows how far it got.
  const logFile = `${to}.log`;
  try {
    await run(
      'bash',
      [
        '-c',
        'npx serverless package --verbose --stage "$0" --package "$1" > "$2" 2>&1 < /dev/null',
        STAGE,
        to,
        logFile,
      ],
      { env: packagingEnv(settings), timeout: 540_000 },
    );
    return { ok: true, log: readFileSync(logFile, 'utf8') };
  } catch {
    return { ok: false, log: readFileSync(logFile, 'utf8') };
  }
}

beforeAll(async () => {
  const packaged = await packageStage(STAGE_SETTINGS, out);
  if (!packaged.ok) throw new Error(`serverless package failed:\n${packaged.log}`);
  packageLog = packaged.log;
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}, 600_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A function's artifact, unpacked into its own folder as Lambda would, with the runtime's AWS SDK beside it. */
function unpacked(name: string): { root: string; files: Map<string, Buffer> } {
  const files = unzip(join(out, `${name}.zip`));
  const root = join(work, 'unzipped', name);
  for (const [file, data] of files) {
    if (file.endsWith('/')) continue;
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), data);
  }
  // The Lambda runtime provides the AWS SDK v3, so the bundles leave it out (serverless.yml, esbuild exclude).
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(join(process.cwd(), 'node_modules/@aws-sdk'), join(root, 'node_modules/@aws-sdk'));
  return { root, files };
}

const bundleOf = (f: DeclaredFunction) => `${f.handler.slice(0, f.handler.lastIndexOf('.'))}.js`;

describe('a deployed stage without its settings', () => {
  it('is refused before anything is built, with every missing setting named', async () => {
    const refused = await packageStage(
      { API_AUTH: 'gateway', ENCRYPTION_KEY: 'cGctcmV2aWV3ZXItbG9jYWwtZGV2LWtleS0zMi1ieXQ=' },
      join(work, 'refused'),
    );
    expect(refused.ok).toBe(false);
    expect(refused.log).toContain(`Stage "${STAGE}" is not configured, so it is neither packaged nor deployed`);
    for (const problem of [
      'DATABASE_URL is not set',
      'UPSTASH_REDIS_REST_URL is not set',
      'UPSTASH_REDIS_REST_TOKEN is not set',
      'ENCRYPTION_KEYS holds the published development key',
    ]) {
      expect(refused.log).toContain(problem);
    }
    // With API_AUTH=gateway an authorizer admits callers, so no token is asked for.
    expect(refused.log).not.toContain('API_TOKENS');
    expect(refused.log).not.toContain('Service packaged');
    expect(existsSync(join(work, 'refused'))).toBe(false);
  }, 120_000);
});

describe(`npx serverless package --stage ${STAGE}`, () => {
  it('packages without AWS credentials', () => {
    expect(packageLog).toContain(`Packaging pg-reviewer for stage ${STAGE}`);
    expect(packageLog).toMatch(/Service packaged/);
  });

  it('writes a template without dependency cycles, which CloudFormation could order', () => {
    expect(Object.keys(template).length).toBeGreaterThan(100);
    expect(dependencyCycles(template)).toEqual([]);
  });

  it('has a Lambda function for every function in serverless.yml, and no other', () => {
    const { functions } = declared();
    expect(functions.length).toBeGreaterThanOrEqual(20);
    expect(functions.map((f) => f.name)).toEqual(expect.arrayContaining(['tick', 'consumer', 'executionsReport']));
    for (const f of functions) {
      const resource = template[logicalId(f.name)];
      expect(resource, `${f.name} is missing from the template`).toBeDefined();
      expect(resource.Properties).toMatchObject({
        Handler: f.handler,
        Runtime: 'nodejs22.x',
        FunctionName: `pg-reviewer-${STAGE}-${f.name}`,
      });
    }
    expect(
      resourcesOf('AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    ).toEqual(functions.map((f) => logicalId(f.name)).sort());
  });

  it('routes every httpApi event of serverless.yml, the report included', () => {
    const { routes } = declared();
    expect(routes).toContain('GET /api/v1/scheduler/executions/{execution_id}/report');
    const routeKeys = resourcesOf('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routeKeys.sort()).toEqual([...routes].sort());
  });

  it('runs the tick every minute', () => {
    const rules = resourcesOf('AWS::Events::Rule').filter(
      ([, r]) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0] === 'TickLambdaFunction',
    );
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0];
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    const permission = resourcesOf('AWS::Lambda::Permission').find(
      ([, p]) => p.Properties.SourceArn?.['Fn::GetAtt']?.[0] === ruleId,
    );
    expect(permission?.[1].Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': ['TickLambdaFunction', 'Arn'] },
    });
  });

  it(
    'wires the consumer: its own one-minute schedule, and the right to invoke it by its ARN, not by a ' +
      'reference to it',
    () => {
      const rules = resourcesOf('AWS::Events::Rule').filter(
        ([, r]) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0] === 'ConsumerLambdaFunction',
      );
      expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(1 minute)']);

      const statements = template.IamRoleLambdaExecution.Properties.Policies.flatMap(
        (p: any) => p.PolicyDocument.Statement,
      );
      const invoke = statements.filter((s: any) => [s.Action].flat().includes('lambda:InvokeFunction'));
      expect(invoke).toHaveLength(1);
      const [prefix, parts] = invoke[0].Resource['Fn::Join'];
      expect(prefix).toBe('');
      expect(parts.at(-1)).toBe(`:function:pg-reviewer-${STAGE}-consumer`);
      expect(JSON.stringify(invoke[0].Resource)).not.toContain('ConsumerLambdaFunction');

      const consumer = template.ConsumerLambdaFunction.Properties;
      // run, queue and the tick invoke the consumer by this name.
      for (const name of ['tasksRun', 'tasksQueue', 'tick']) {
        expect(template[logicalId(name)].Properties.Environment.Variables.CONSUMER_FUNCTION_NAME).toBe(
          consumer.FunctionName,
        );
      }
    },
  );

  it('bounds the consumer: reserved concurrency, no Lambda retries, failed starts kept in a queue', () => {
    const consumer = template.ConsumerLambdaFunction.Properties;
    expect(consumer).toMatchObject({ Timeout: 900, MemorySize: 1024, ReservedConcurrentExecutions: 4 });
    const [[, invokeConfig]] = resourcesOf('AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig.Properties).toMatchObject({
      FunctionName: { Ref: 'ConsumerLambdaFunction' },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ConsumerFailuresQueue', 'Arn'] } } },
    });
    expect(template.ConsumerFailuresQueue.Type).toBe('AWS::SQS::Queue');
    const statements = template.IamRoleLambdaExecution.Properties.Policies.flatMap(
      (p: any) => p.PolicyDocument.Statement,
    );
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['ConsumerFailuresQueue', 'Arn'] },
    });
  });

  it('lets the functions read secrets only under the stage prefix, and keeps secret references as written', () => {
    const statements = template.IamRoleLambdaExecution.Properties.Policies.flatMap(
      (p: any) => p.PolicyDocument.Statement,
    );
    const resourceOf = (action: string) =>
      JSON.stringify(statements.find((s: any) => [s.Action].flat().includes(action))?.Resource);
    expect(resourceOf('ssm:GetParameter')).toContain(`:parameter/pg-reviewer/${STAGE}/*`);
    expect(resourceOf('secretsmanager:GetSecretValue')).toContain(`:secret:pg-reviewer/${STAGE}/*`);
    expect(template.TickLambdaFunction.Properties.Environment.Variables.UPSTASH_REDIS_REST_TOKEN).toBe(
      'ssm:/pg-reviewer/ci/upstash-token',
    );
  });

  it('packages each function in its own artifact, well under 5 MB, holding its own bundle and no other', () => {
    const { functions } = declared();
    const sizes: Record<string, string> = {};
    for (const f of functions) {
      const zip = join(out, `${f.name}.zip`);
      const { size } = statSync(zip);
      sizes[f.name] = `${Math.round(size / 1024)} KB`;
      expect(size, `${f.name}.zip`).toBeLessThan(2 * 2 ** 20);
      expect(template[logicalId(f.name)].Properties.Code.S3Key).toMatch(new RegExp(`/${f.name}\\.zip$`));
      const names = [...unzip(zip).keys()];
      expect(names).toContain(bundleOf(f));
      const otherBundles = functions.filter((other) => bundleOf(other) !== bundleOf(f)).map(bundleOf);
      expect(names.filter((name) => otherBundles.includes(name))).toEqual([]);
    }
    console.log('artifact sizes:', sizes);
  });

  it('ships Swagger UI only with the docs, and libpg-query only with the functions that parse custom_sql', () => {
    const { functions } = declared();
    const holding = (file: string) =>
      functions
        .filter((f) => unzip(join(out, `${f.name}.zip`)).has(file))
        .map((f) => f.name)
        .sort();
    expect(holding('node_modules/swagger-ui-dist/swagger-ui-bundle.js')).toEqual(['docsAsset']);
    expect(holding('node_modules/libpg-query/wasm/libpg-query.wasm')).toEqual([
      'consumer',
      'dashboard',
      'tasksCreate',
      'tasksUpdate',
    ]);
    // Which bundles load the parser is decided by the code, not by serverless.yml: the two must agree.
    const importing = functions
      .filter((f) =>
        unzip(join(out, `${f.name}.zip`))
          .get(bundleOf(f))!
          .toString('utf8')
          .includes('"libpg-query"'),
      )
      .map((f) => f.name)
      .sort();
    expect(importing).toEqual(['consumer', 'dashboard', 'tasksCreate', 'tasksUpdate']);
  });

  it('loads every bundle from its own artifact as the Lambda runtime does, and the handlers answer', async () => {
    const functions = declared().functions;
    const entries = functions.map((f) => join(unpacked(f.name).root, bundleOf(f)));
    // As the Lambda runtime does: import each file and call its handler export.
    const script = `
      const [bundles, redirect, report, createTask] = JSON.parse(process.argv[1]);
      for (const file of bundles) if (typeof (await import(file)).handler !== 'function') throw new Error(file + ' exports no handler');
      const answer = async ({ file, event }) => (await import(file)).handler(event, {});
      console.log(JSON.stringify({ legacy: await answer(redirect), badId: await answer(report), writeSql: await answer(createTask) }));`;
    const event = (rawPath: string, extra: Record<string, unknown> = {}) => ({
      version: '2.0',
      rawPath,
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET' } },
      ...extra,
    });
    const task = {
      name: 'n',
      task_type: 'custom_sql',
      connection_id: 1,
      cron_schedule: '0 2 * * *',
      task_params: { custom_sql: 'DELETE FROM accounts' },
    };
    const root = (name: string) => join(work, 'unzipped', name);
    const input = [
      entries,
      {
        file: join(root('legacyRedirect'), 'functions/legacy/redirect.js'),
        event: { ...event('/api/scheduler/tasks'), rawQueryString: 'is_active=true' },
      },
      {
        file: join(root('executionsReport'), 'functions/executions/report.js'),
        event: event('/api/v1/scheduler/executions/abc/report', { pathParameters: { execution_id: 'abc' } }),
      },
      {
        file: join(root('tasksCreate'), 'functions/tasks/create.js'),
        event: {
          ...event('/api/v1/scheduler/tasks'),
          requestContext: { http: { method: 'POST' } },
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(task),
        },
      },
    ];
    const { stdout } = await run('node', ['--input-type=module', '-e', script, JSON.stringify(input)], {
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        API_AUTH: 'disabled',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    const { legacy, badId, writeSql } = JSON.parse(stdout);
    expect(legacy).toMatchObject({ statusCode: 308, headers: { location: '/api/v1/scheduler/tasks?is_active=true' } });
    expect(badId.statusCode).toBe(400);
    expect(JSON.parse(badId.body).detail).toMatch(/execution_id must be a positive integer/);
    // PostgreSQL's parser, loaded from the artifact's own libpg-query files, refuses the write.
    expect(writeSql.statusCode).toBe(400);
    expect(JSON.parse(writeSql.body).errors[0]).toMatchObject({
      path: 'task_params.custom_sql',
      message: expect.stringMatching(/DELETE/),
    });
  }, 120_000);
});
