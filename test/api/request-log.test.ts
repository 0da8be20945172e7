/**
 * Request logs: one structured line per request with what an operator needs, and never a session token
 * (the Cookie request header or a sign-in's Set-Cookie).
 */
import { Writable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { pino } from 'pino';
import { createApp } from '../../app/api/app.ts';
import { eventually } from '../support/eventually.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from './client.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

describe('api request logs', () => {
  let database: FreshDatabase;
  let server: LocalServer;
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];

  before(async () => {
    database = await freshDatabase();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line));
        }
        done();
      },
    });
    server = await serveOnLocalPort(createApp({
      db: database.db,
      s3: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
      buckets: { uploads: 'uploads', assets: 'assets', downloads: 'downloads' },
      assetsBaseUrl: 'https://assets.example.test',
      logger: pino({ level: 'info' }, sink),
      secureCookies: false,
    }));
  });

  after(async () => {
    await server?.close();
    await database.destroy();
  });

  it('logs each request with its id, method, URL, client and status, and no session token', async () => {
    const client = new ApiClient(server.url);
    const password = 'correct horse battery';
    const signUp = await client.post('/api/auth/signup', { email: 'log@example.test', password, displayName: 'Log', role: 'buyer' });
    expect(signUp.status).to.equal(202);
    const signIn = await client.post('/api/auth/signin', { email: 'log@example.test', password });
    expect(signIn.status).to.equal(200);
    const token = client.cookie!.split('=')[1]!;
    expect(token.length).to.be.greaterThan(20);
    const me = await client.request('GET', '/api/auth/me?x=1', undefined, { 'x-request-id': 'trace-42', 'user-agent': 'log-test/1.0' });
    expect(me.status).to.equal(200);
    // The completion line is written when the reply has been sent.
    const line = await eventually(
      async () => lines.find((entry) => (entry.req as { id?: string } | undefined)?.id === 'trace-42'),
      (found) => found !== undefined,
      'a line for the request',
    );
    expect(line!.req).to.deep.equal({ id: 'trace-42', method: 'GET', url: '/api/auth/me?x=1', ip: '127.0.0.1', userAgent: 'log-test/1.0' });
    expect(line!.res).to.deep.equal({ statusCode: 200 });
    expect(line!.responseTime).to.be.a('number');
    expect(lines.filter((entry) => entry.msg === 'request completed')).to.have.length(3);
    for (const text of raw) {
      expect(text).to.not.include(token);
      expect(text.toLowerCase()).to.not.include('cookie');
    }
  });
});
