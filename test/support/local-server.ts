/** An HTTP handler (an Express app or a plain listener) served on a free loopback port for one test. */
import http from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  server: Server;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Drops kept-alive connections (a test's clients keep them) and waits for the server to close. */
  close(): Promise<void>;
}

export async function serveOnLocalPort(handler: RequestListener): Promise<LocalServer> {
  const server = http.createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
