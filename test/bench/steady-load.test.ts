/** The open-loop load of the API benchmark: a fixed schedule, latency from when a request was due. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { picker, steadyLoad } from '../../scripts/bench/steady-load.ts';
import { seededRandom } from '../fixtures/random.ts';

describe('bench steady load', () => {
  it('picks with Zipf popularity: the i-th path about 1/i as often as the first', () => {
    const pick = picker(100, 'zipf', seededRandom(1));
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 200_000; i++) counts[pick()]!++;
    expect(counts[1]! / counts[0]!).to.be.closeTo(1 / 2, 0.03);
    expect(counts[9]! / counts[0]!).to.be.closeTo(1 / 10, 0.01);
    expect(counts[99]).to.be.greaterThan(0);
    const uniform = picker(4, 'uniform', seededRandom(1));
    const seen = new Set(Array.from({ length: 100 }, () => uniform()));
    expect([...seen].sort()).to.deep.equal([0, 1, 2, 3]);
  });

  it('keeps sending on schedule while the server stalls, and counts the stall in every delayed reply', async () => {
    let stalled = false;
    const server = http.createServer((req, res) => {
      // The first measured request stalls the server's replies for 300 ms, as a long GC pause or lock would.
      if (req.url === '/stall' && !stalled) {
        stalled = true;
        const until = Date.now() + 300;
        while (Date.now() < until);
      }
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const result = await steadyLoad({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        paths: ['/stall'],
        warmupPaths: ['/warm'],
        warmupSeconds: 0.2,
        rate: 100,
        durationSeconds: 1,
        random: seededRandom(1),
      });
      expect(result.non2xx + result.errors).to.equal(0);
      // 100 requests in 1 s; those due during the 300 ms stall (about 30) waited for it, each from its due
      // time: a closed loop would have sent them late and reported them fast.
      expect(result.max).to.be.at.least(250);
      expect(result.p99).to.be.at.least(200);
    } finally {
      server.close();
    }
  });
});
