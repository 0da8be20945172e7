import { expect } from 'chai';
import { parseOnlyFilter, resolveReprocessOptions } from '../../scripts/batch/options.ts';

describe('batch reprocess options', () => {
  it('parses --only filters and refuses anything else with the accepted forms', () => {
    expect(parseOnlyFilter('family=weather-line')).to.deep.equal({ by: 'family', slug: 'weather-line' });
    expect(parseOnlyFilter('set=0F8FAD5B-D9CB-469F-A165-70867728950E')).to.deep.equal({ by: 'set', productId: '0f8fad5b-d9cb-469f-a165-70867728950e' });
    const since = parseOnlyFilter('since=2025-01-31');
    expect(since.by === 'since' && since.date.toISOString()).to.equal('2025-01-31T00:00:00.000Z');
    expect(() => parseOnlyFilter('famly=weather')).to.throw(/family=<slug>, set=<product id> or since=<date>/);
    expect(() => parseOnlyFilter('family=Weather Icons')).to.throw(/family slug/);
    expect(() => parseOnlyFilter('set=42')).to.throw(/set=42/);
    expect(() => parseOnlyFilter('since=yesterday')).to.throw(/since=yesterday/);
  });

  it('derives the same run id from the same request, and a different one when the output would differ', () => {
    const a = resolveReprocessOptions({ only: [parseOnlyFilter('family=weather')], workers: 1 });
    const b = resolveReprocessOptions({ only: [parseOnlyFilter('family=weather')], workers: 4 });
    const c = resolveReprocessOptions({ only: [parseOnlyFilter('family=weather')], sizes: [48] });
    expect(a.runId).to.equal(b.runId); // the worker count does not change what is rendered
    expect(c.runId).to.not.equal(a.runId);
    expect(resolveReprocessOptions({ runId: 'nightly-1' }).runId).to.equal('nightly-1');
  });

  it('names every inconsistent option', () => {
    expect(() => resolveReprocessOptions({ source: 'dir' })).to.throw(/--source dir needs --dir/);
    expect(() => resolveReprocessOptions({ output: 'dir' })).to.throw(/--output dir needs --out-dir/);
    expect(() => resolveReprocessOptions({ fanOut: true, sizes: [64] })).to.throw(/ImageProcessor renders the standard sizes/);
    expect(() => resolveReprocessOptions({ workers: 0 })).to.throw(/workers/);
    expect(() => resolveReprocessOptions({ runId: '../etc' })).to.throw(/letters, digits/);
  });
});
