import { expect } from 'chai';
import { Slots, SlotsFull } from '../../app/api/downloads/slots.ts';
import { gate } from '../support/gate.ts';

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

  it('refuses a task at once when every slot is busy and the waiting line is full, and takes one again when a place frees', async () => {
    const slots = new Slots(1, 2);
    const gates = Array.from({ length: 3 }, () => gate());
    const held = gates.map((gate) => slots.run(() => gate.promise));
    expect([slots.running, slots.waiting]).to.deep.equal([1, 2]);
    let ran = false;
    const refused = await slots.run(async () => { ran = true; }).then(() => null, (error: unknown) => error);
    expect(refused).to.be.instanceOf(SlotsFull);
    expect([ran, slots.running, slots.waiting]).to.deep.equal([false, 1, 2]);
    gates[0]!.resolve();
    await held[0];
    expect(slots.waiting).to.equal(1);
    const next = slots.run(async () => 'after');
    for (const gate of gates.slice(1)) gate.resolve();
    expect(await next).to.equal('after');
    expect([slots.running, slots.waiting]).to.deep.equal([0, 0]);
  });
});
