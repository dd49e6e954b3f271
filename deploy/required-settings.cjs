'use strict';
/* global module, Buffer */

// A deployed stage with a setting missing would package and deploy fine, then fail in every function every
// minute. This plugin refuses to package or deploy such a stage instead, naming every missing setting.
// lib/env.ts applies the same rules again at run time inside Lambda.

// The development key published in lib/env.ts: anyone can read it, so it must never protect real passwords.
const DEVELOPMENT_KEY = 'cGctcmV2aWV3ZXItbG9jYWwtZGV2LWtleS0zMi1ieXQ=';
const SECRET_REFERENCE = /^(ssm:\/|secretsmanager:)/;

function problemsWith(environment) {
  const value = (name) => String(environment[name] ?? '').trim();
  const problems = [];
  for (const name of ['DATABASE_URL', 'UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN']) {
    if (!value(name)) problems.push(`${name} is not set`);
  }
  const keys = value('ENCRYPTION_KEYS') || value('ENCRYPTION_KEY');
  if (!keys)
    problems.push('ENCRYPTION_KEYS is not set (one or more 32-byte keys, base64, comma-separated, newest first)');
  else if (!SECRET_REFERENCE.test(keys)) {
    if (keys.split(',').some((key) => key.trim() === DEVELOPMENT_KEY))
      problems.push('ENCRYPTION_KEYS holds the published development key');
    if (keys.split(',').some((key) => Buffer.from(key.trim(), 'base64').length !== 32))
      problems.push('ENCRYPTION_KEYS must hold 32-byte keys, base64-encoded');
  }
  const auth = value('API_AUTH') || 'tokens';
  if (auth === 'disabled') problems.push('API_AUTH=disabled is for a developer machine only');
  if (auth === 'tokens' && !value('API_TOKENS'))
    problems.push('API_TOKENS is not set (or set API_AUTH=gateway with an API Gateway authorizer)');
  if (value('LAMBDA_ENDPOINT'))
    problems.push('LAMBDA_ENDPOINT must be unset on AWS (it points the consumer start at serverless-offline)');
  return problems;
}

class RequiredSettings {
  constructor(serverless) {
    this.serverless = serverless;
    const check = () => this.check();
    this.hooks = { 'before:package:initialize': check, 'before:deploy:deploy': check };
  }

  check() {
    const { service } = this.serverless;
    const stage = this.serverless.getProvider('aws').getStage();
    const localStages = service.custom?.localStages ?? [];
    if (localStages.includes(stage)) return;
    const problems = problemsWith(service.provider.environment ?? {});
    if (problems.length === 0) return;
    throw new this.serverless.classes.Error(
      `Stage "${stage}" is not configured, so it is neither packaged nor deployed: ${problems.join('; ')}. ` +
        `Set these in the environment of the command (docs/deploy.md); only ${localStages.join(', ')} runs on the developer defaults.`,
    );
  }
}

module.exports = RequiredSettings;
module.exports.problemsWith = problemsWith;
