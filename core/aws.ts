/**
 * Client settings shared by every AWS SDK client the code creates: region, an endpoint override
 * for the local emulators (`AWS_ENDPOINT_URL_<SERVICE>`), and explicit credentials when the given
 * environment carries them (the local runtime passes an environment object, not process.env).
 */
export function awsClientConfig(env: NodeJS.ProcessEnv, service: 'S3' | 'SQS' | 'SNS' | 'CLOUDFRONT' | 'SSM') {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`];
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return {
    region: env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
}
