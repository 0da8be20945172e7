import { expect } from 'chai';
import { Slots } from '../../app/api/downloads/slots.ts';

describe('api/downloads Slots', () => {
  it('never runs more tasks at once than it has slots, and runs every task in arrival order', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const tasks = Array.from({ length: 7 }, (_, i) =>
      slots.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return i;
      }),
    );
    expect(await Promise.all(tasks)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect([most, started, slots.running]).to.deep.equal([2, [0, 1, 2, 3, 4, 5, 6], 0]);
  });

  it('frees the slot of a task that throws', async () => {
    const slots = new Slots(1);
    await slots.run(() => Promise.reject(new Error('render failed'))).catch(() => undefined);
    expect(await slots.run(async () => 'next')).to.equal('next');
    expect(slots.running).to.equal(0);
  });
});
