// A setting whose value is `ssm:/<parameter name>` or `secretsmanager:<secret id>` is read from SSM Parameter
// Store (SecureString decrypted) or Secrets Manager when the function's code is loaded. The function's
// configuration then holds only where the secret is, and serverless.yml grants reading under the stage's
// prefix only. Values are read once per container: a rotated secret reaches containers started afterwards.

const REFERENCE = /^(ssm|secretsmanager):(.+)$/;

type Source = 'ssm' | 'secretsmanager';

/** The settings given as references, resolved: name to value. Settings that are not references are left out. */
export async function resolveSecretReferences(
  settings: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const references = Object.entries(settings).flatMap(([name, value]) => {
    const match = value?.trim().match(REFERENCE);
    return match ? [{ name, source: match[1] as Source, id: match[2] }] : [];
  });
  if (references.length === 0) return {};
  const values = await Promise.all(
    references.map(({ name, source, id }) =>
      readSecret(source, id).catch((error: Error) => {
        // The reference is named, never a value: it says where to look, and holds nothing secret.
        throw new Error(
          `Invalid configuration: ${name} could not be read from ${source}:${id}: ${error.name}: ${error.message}`,
        );
      }),
    ),
  );
  return Object.fromEntries(references.map(({ name }, i) => [name, values[i]]));
}

async function readSecret(source: Source, id: string): Promise<string> {
  // The AWS SDK is part of the Lambda runtime and is loaded only when a reference is used.
  if (source === 'ssm') {
    const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const { Parameter } = await new SSMClient({}).send(new GetParameterCommand({ Name: id, WithDecryption: true }));
    if (Parameter?.Value === undefined) throw new Error('the parameter has no value');
    return Parameter.Value;
  }
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: id }));
  if (SecretString === undefined) throw new Error('the secret has no string value');
  return SecretString;
}
