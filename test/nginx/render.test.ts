import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { renderNginxConfig, type NginxOptions } from '../../app/nginx/render.ts';

const base: NginxOptions = { prefix: '/tmp/x', listen: 8080, apiUpstream: '127.0.0.1:4000', webUpstream: 'web:3000' };

describe('app/nginx/render', function () {
  it('fills every placeholder of the template', function () {
    const config = renderNginxConfig({ ...base, blockedAddresses: ['203.0.113.0/24'], blockedUserAgents: ['curl'] });
    expect(config).to.not.match(/\{\{\w+\}\}/);
    expect(config).to.include('203.0.113.0/24 1;').and.include('"~*curl" 1;');
    expect(config).to.not.include('location /assets/');
  });

  it('renders the local storage routes only when asked', function () {
    const config = renderNginxConfig({ ...base, storage: { upstream: '127.0.0.1:4569', assetsBucket: 'assets-b', uploadsBucket: 'uploads-b' } });
    expect(config).to.include('proxy_pass http://storage/assets-b/;').and.include('location = /s3/uploads-b {');
  });

  it('names the missing value when the template asks for one it does not know', function () {
    expect(() => renderNginxConfig(base, 'listen {{nope}};')).to.throw(/\{\{nope\}\}/);
  });

  for (const [label, bad] of [
    ['a malformed CIDR', { blockedAddresses: ['10.0.0.0/33'] }],
    ['a host name as an address', { blockedAddresses: ['example.com'] }],
    ['a rate without unit', { rates: { api: '10' } }],
    ['a user-agent pattern that breaks out of its string', { blockedUserAgents: ['x" 0; default 1; "'] }],
    ['an invalid regular expression', { blockedUserAgents: ['(unclosed'] }],
    ['an upstream with a scheme', { apiUpstream: 'http://127.0.0.1:4000' }],
    ['an unknown key', { blockList: [] }],
  ] as const) {
    it(`rejects ${label}`, function () {
      expect(() => renderNginxConfig({ ...base, ...(bad as object) } as NginxOptions)).to.throw();
    });
  }

  it('keeps the example options file valid', function () {
    const options = JSON.parse(readFileSync(new URL('../../app/nginx/local.example.json', import.meta.url), 'utf8')) as NginxOptions;
    expect(() => renderNginxConfig(options)).to.not.throw();
  });
});
