/**
 * A pipeline function's environment as a stack gives it, for tests of its cold start (database credentials,
 * certificates): queues that are never called, AWS calls signed with test keys and sent to `awsEndpoint`.
 */
export function deployedFunctionEnv(databaseUrl: string, awsEndpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: databaseUrl,
    UPLOADS_BUCKET: 'uploads',
    ASSETS_BUCKET: 'assets',
    DOWNLOADS_BUCKET: 'downloads',
    IMAGE_QUEUE_URL: 'http://127.0.0.1:1/queue/image',
    PREVIEW_QUEUE_URL: 'http://127.0.0.1:1/queue/preview',
    EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:events',
    LOG_LEVEL: 'silent',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: awsEndpoint,
    AWS_ENDPOINT_URL_SSM: awsEndpoint,
    ...extra,
  };
}
