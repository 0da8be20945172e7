import { expect } from 'chai';
import { IMAGES_KEPT_PER_APP } from '../../core/limits.ts';
import { EMPTY_HOST, rotate, type HostImages, type RotationEvent } from '../../scripts/deploy/rotation.ts';

/** Runs events in order, each on the state the previous one left. */
function replay(events: RotationEvent[], start: HostImages = EMPTY_HOST) {
  let state = start;
  const results = events.map((event) => {
    const result = rotate(state, event);
    state = result.state;
    return result;
  });
  return { state, results };
}

const deployOk = (tag: string): RotationEvent[] => [
  { type: 'deploy', tag },
  { type: 'health', tag, ok: true },
];

describe('deploy/rotation', () => {
  it('keeps three images per app', () => {
    expect(IMAGES_KEPT_PER_APP).to.equal(3);
  });

  it('first deploy pulls, tags latest and starts the image, removing nothing', () => {
    const result = rotate(EMPTY_HOST, { type: 'deploy', tag: 'aaa111' });
    expect(result.actions).to.deep.equal([
      { type: 'pull', tag: 'aaa111' },
      { type: 'tag-latest', tag: 'aaa111' },
      { type: 'restart' },
    ]);
    expect(result.state).to.deep.equal({ images: [{ tag: 'aaa111', status: 'pending' }], running: 'aaa111' });
    expect(result.message).to.contain('first deploy');
    expect(result.failed).to.equal(false);
  });

  it('fourth deploy removes the oldest image after the new one runs', () => {
    const { state } = replay([...deployOk('c1'), ...deployOk('c2'), ...deployOk('c3')]);
    const result = rotate(state, { type: 'deploy', tag: 'c4' });
    expect(result.actions).to.deep.equal([
      { type: 'pull', tag: 'c4' },
      { type: 'tag-latest', tag: 'c4' },
      { type: 'restart' },
      { type: 'remove', tag: 'c1' },
    ]);
    expect(result.state.images.map((i) => i.tag)).to.deep.equal(['c2', 'c3', 'c4']);
    expect(result.state.running).to.equal('c4');
    expect(result.message).to.contain('removed c1');
  });

  it('never holds more than three images over many deploys', () => {
    const events = Array.from({ length: 10 }, (_, n) => deployOk(`build${n}`)).flat();
    const { state } = replay(events);
    expect(state.images.map((i) => i.tag)).to.deep.equal(['build7', 'build8', 'build9']);
  });

  it('failed deploy marks the image bad and rolls back to the last good one by itself', () => {
    const { state } = replay([...deployOk('good1'), ...deployOk('good2'), { type: 'deploy', tag: 'broken' }]);
    const result = rotate(state, { type: 'health', tag: 'broken', ok: false });
    expect(result.rolledBackTo).to.equal('good2');
    expect(result.actions).to.deep.equal([{ type: 'tag-latest', tag: 'good2' }, { type: 'restart' }]);
    expect(result.state.running).to.equal('good2');
    expect(result.state.images.find((i) => i.tag === 'broken')?.status).to.equal('bad');
    expect(result.message).to.match(/broken failed its health check; rolled back to good2/);
  });

  it('the next deploy after a failure evicts the bad image before the older good ones', () => {
    const { state } = replay([
      ...deployOk('good1'),
      ...deployOk('good2'),
      { type: 'deploy', tag: 'broken' },
      { type: 'health', tag: 'broken', ok: false },
    ]);
    const result = rotate(state, { type: 'deploy', tag: 'fixed' });
    expect(result.actions.at(-1)).to.deep.equal({ type: 'remove', tag: 'broken' });
    expect(result.state.images.map((i) => i.tag)).to.deep.equal(['good1', 'good2', 'fixed']);
  });

  it('never evicts the last good image, even when it is the oldest', () => {
    const failing = (tag: string): RotationEvent[] => [
      { type: 'deploy', tag },
      { type: 'health', tag, ok: false },
    ];
    const { state } = replay([...deployOk('onlygood'), ...failing('bad1'), ...failing('bad2'), ...failing('bad3')]);
    expect(state.images.map((i) => i.tag)).to.include('onlygood');
    expect(state.images).to.have.length(3);
    expect(state.running).to.equal('onlygood');
  });

  it('a failed first deploy has nothing to roll back to and says so', () => {
    const { state } = replay([{ type: 'deploy', tag: 'first' }]);
    const result = rotate(state, { type: 'health', tag: 'first', ok: false });
    expect(result.failed).to.equal(true);
    expect(result.actions).to.deep.equal([]);
    expect(result.rolledBackTo).to.equal(undefined);
    expect(result.message).to.contain('no good image to roll back to (1 image on host), first stays');
  });

  it('rollback with fewer than two images refuses and names what stays', () => {
    const empty = rotate(EMPTY_HOST, { type: 'rollback' });
    expect(empty.failed).to.equal(true);
    expect(empty.message).to.contain('no image has been deployed');

    const { state } = replay(deployOk('lonely'));
    const one = rotate(state, { type: 'rollback' });
    expect(one.failed).to.equal(true);
    expect(one.actions).to.deep.equal([]);
    expect(one.message).to.contain('lonely stays');
  });

  it('rollback moves to the previous good image, and a second rollback goes further back', () => {
    const { state } = replay([...deployOk('v1'), ...deployOk('v2'), ...deployOk('v3')]);
    const first = rotate(state, { type: 'rollback' });
    expect(first.rolledBackTo).to.equal('v2');
    expect(first.message).to.equal('rollback requested from v3; rolled back to v2');
    const second = rotate(first.state, { type: 'rollback' });
    expect(second.rolledBackTo).to.equal('v1');
    const third = rotate(second.state, { type: 'rollback' });
    expect(third.failed).to.equal(true);
    expect(third.state.running).to.equal('v1');
  });

  it('deploying what already runs changes nothing (safe to retry)', () => {
    const { state } = replay(deployOk('same'));
    const again = rotate(state, { type: 'deploy', tag: 'same' });
    expect(again.actions).to.deep.equal([]);
    expect(again.state).to.equal(state);
  });

  it('redeploying an image still on the host skips the pull', () => {
    const { state } = replay([...deployOk('old'), ...deployOk('new')]);
    const result = rotate(state, { type: 'deploy', tag: 'old' });
    expect(result.actions).to.deep.equal([{ type: 'tag-latest', tag: 'old' }, { type: 'restart' }]);
    expect(result.state.images.map((i) => i.tag)).to.deep.equal(['new', 'old']);
  });

  it('rejects tags that are not commit tags', () => {
    expect(() => rotate(EMPTY_HOST, { type: 'deploy', tag: 'latest' })).to.throw(/not "latest"/);
    expect(() => rotate(EMPTY_HOST, { type: 'deploy', tag: '-rf' })).to.throw(/Docker tag/);
    expect(() => rotate(EMPTY_HOST, { type: 'deploy', tag: 'x' }, 1)).to.throw(/keep must be/);
  });
});
