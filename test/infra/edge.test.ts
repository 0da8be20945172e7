/**
 * Prod's edge: CloudFront is the only way in. Its web ACL limits each viewer's address; the ALB
 * admits only CloudFront's origin-facing ranges and requests with the secret origin header; the
 * storefront container refuses the rest (app/web/proxy.ts, origin-verify.test.ts); every page and
 * API response carries the security headers; the API learns the viewer's address from CloudFront.
 */
import { expect } from 'chai';
import { parseEnv } from 'node:util';
import { API_FORWARDED_HEADERS, HSTS_MAX_AGE_SECONDS } from '../../infra/components/frontend.ts';
import { ORIGIN_VERIFY_HEADER } from '../../core/edge/origin-verify.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import { bootScript, ofType, one, stackRun, TYPES, writtenFile } from './fixture.ts';

/** The offline plan's value of the storefront's origin secret (what the RandomPassword mock answers). */
async function originSecret(): Promise<string> {
  const prod = await stackRun('prod');
  const password = one(prod, 'random:index/randomPassword:RandomPassword', '-origin-secret');
  expect(password.inputs).to.include({ length: 48, special: false });
  return String(mockState(password.type, password.name, password.inputs, 'us-east-1')['result']);
}

describe('prod edge: everything through CloudFront', () => {
  it('the CloudFront ACL rate-limits per viewer address, except the storefront server’s own calls (origin secret)', async () => {
    const prod = await stackRun('prod');
    const acl = one(prod, TYPES.webAcl, '-web-waf');
    const rule = (acl.inputs['rules'] as { name: string; action: unknown; statement: unknown }[]).find((r) => r.name === 'rate-limit');
    expect(rule?.action).to.deep.equal({ block: {} });
    expect(rule?.statement).to.deep.equal({
      rateBasedStatement: {
        limit: 1000,
        aggregateKeyType: 'IP',
        scopeDownStatement: {
          notStatement: {
            statement: {
              byteMatchStatement: {
                fieldToMatch: { singleHeader: { name: 'x-origin-verify' } },
                positionalConstraint: 'EXACTLY',
                searchString: await originSecret(),
                textTransformations: [{ priority: 0, type: 'NONE' }],
              },
            },
          },
        },
      },
    });
    expect(acl.secretInputs).to.include('rules');
  });

  it('CloudFront sends the secret header to the storefront and API origins, not to S3', async () => {
    const distribution = one(await stackRun('prod'), TYPES.cloudfront, '-cdn');
    const origins = distribution.inputs['origins'] as { originId: string; customHeaders?: unknown }[];
    const secret = await originSecret();
    expect(Object.fromEntries(origins.map((o) => [o.originId, o.customHeaders]))).to.deep.equal({
      web: [{ name: ORIGIN_VERIFY_HEADER, value: secret }],
      api: [{ name: ORIGIN_VERIFY_HEADER, value: secret }],
      assets: undefined,
    });
    expect(distribution.secretInputs).to.include('origins');
  });

  it('the ALB admits HTTPS from CloudFront’s origin-facing prefix list only', async () => {
    const prod = await stackRun('prod');
    const group = one(prod, 'aws:ec2/securityGroup:SecurityGroup', '-alb');
    expect(group.inputs['ingress']).to.deep.equal([{ protocol: 'tcp', fromPort: 443, toPort: 443, prefixListIds: ['pl-3b927c52'], description: 'HTTPS from CloudFront' }]);
  });

  it('the ALB forwards only requests with the secret header and answers 403 to the rest', async () => {
    const prod = await stackRun('prod');
    const [https, ...others] = ofType(prod, TYPES.listener);
    expect(others).to.deep.equal([]);
    expect(https?.inputs['defaultActions']).to.deep.equal([{ type: 'fixed-response', fixedResponse: { statusCode: '403', contentType: 'text/plain', messageBody: 'Forbidden' } }]);
    const rules = ofType(prod, 'aws:lb/listenerRule:ListenerRule');
    expect(rules).to.have.length(1);
    const targetGroup = one(prod, 'aws:lb/targetGroup:TargetGroup', '-api');
    const targetGroupArn = String(mockState(targetGroup.type, targetGroup.name, targetGroup.inputs, 'us-east-1')['arn']);
    expect(rules[0]!.inputs).to.deep.include({
      priority: 1,
      conditions: [{ httpHeader: { httpHeaderName: ORIGIN_VERIFY_HEADER, values: [await originSecret()] } }],
      actions: [{ type: 'forward', targetGroupArn }],
    });
  });

  it('the storefront container knows the secret (its proxy checks it) and calls the API through CloudFront', async () => {
    const prod = await stackRun('prod');
    const deployment = one(prod, 'aws:lightsail/containerServiceDeploymentVersion:ContainerServiceDeploymentVersion', '-deployment');
    const [container] = deployment.inputs['containers'] as { environment: Record<string, string> }[];
    expect(container?.environment).to.deep.include({ ORIGIN_VERIFY_SECRET: await originSecret(), API_INTERNAL_URL: prod.outputs['webUrl'] });
    expect(deployment.secretInputs).to.include('containers');
  });

  it('pages and API responses carry CSP, HSTS, X-Frame-Options DENY, nosniff and a Referrer-Policy', async () => {
    const prod = await stackRun('prod');
    const policy = one(prod, 'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy', '-web-headers');
    const uploads = one(prod, TYPES.bucket, '-uploads');
    const config = policy.inputs['securityHeadersConfig'] as Record<string, unknown>;
    expect(config).to.deep.equal({
      contentSecurityPolicy: {
        override: true,
        contentSecurityPolicy: `default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' https://${String(uploads.inputs['bucket'])}.s3.us-east-1.amazonaws.com; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'`,
      },
      strictTransportSecurity: { override: true, accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS, includeSubdomains: true },
      frameOptions: { override: true, frameOption: 'DENY' },
      contentTypeOptions: { override: true },
      referrerPolicy: { override: true, referrerPolicy: 'strict-origin-when-cross-origin' },
    });
    const distribution = one(prod, TYPES.cloudfront, '-cdn');
    const policyId = `responseheaderspolicy-${policy.name}`;
    const behaviours = [distribution.inputs['defaultCacheBehavior'], ...(distribution.inputs['orderedCacheBehaviors'] as unknown[])] as { pathPattern?: string; responseHeadersPolicyId: string }[];
    const byPath = Object.fromEntries(behaviours.map((b) => [b.pathPattern ?? 'default', b.responseHeadersPolicyId === policyId]));
    // Previews keep their own, stricter policy (sandboxed SVG).
    expect(byPath).to.deep.equal({ default: true, '/api/*': true, '/previews/*': false, '/family-previews/*': false });
  });

  it('the API behaviour forwards CloudFront-Viewer-Address, and the API takes the client’s address from it', async () => {
    const prod = await stackRun('prod');
    const requests = one(prod, 'aws:cloudfront/originRequestPolicy:OriginRequestPolicy', '-api-requests');
    expect(requests.inputs['headersConfig']).to.deep.equal({ headerBehavior: 'whitelist', headers: { items: [...API_FORWARDED_HEADERS] } });
    expect(API_FORWARDED_HEADERS).to.include('CloudFront-Viewer-Address').and.not.include('Host');
    expect(requests.inputs).to.deep.include({ cookiesConfig: { cookieBehavior: 'all' }, queryStringsConfig: { queryStringBehavior: 'all' } });
    const distribution = one(prod, TYPES.cloudfront, '-cdn');
    const api = (distribution.inputs['orderedCacheBehaviors'] as { pathPattern: string; originRequestPolicyId: string }[]).find((b) => b.pathPattern === '/api/*');
    expect(api?.originRequestPolicyId).to.equal(`originrequestpolicy-${requests.name}`);
    const env = parseEnv(writtenFile(bootScript(prod), '/etc/marketplace/api.env'));
    expect(env).to.deep.include({ CLIENT_ADDRESS_HEADER: 'CloudFront-Viewer-Address', PUBLIC_ORIGIN: prod.outputs['webUrl'] });
  });

  it('the API gets a per-stack random CURSOR_SECRET from SSM, never in user data', async () => {
    const prod = await stackRun('prod');
    const password = one(prod, 'random:index/randomPassword:RandomPassword', '-api-cursor-secret');
    expect(password.inputs).to.include({ length: 48, special: false });
    const parameter = one(prod, 'aws:ssm/parameter:Parameter', '-api-cursor-secret');
    expect(parameter.inputs).to.include({ name: '/svg-marketplace/prod/api/cursor-secret', type: 'SecureString' });
    const script = bootScript(prod);
    expect(script).to.match(/^printf 'CURSOR_SECRET=%s\\n' "\$\(aws ssm get-parameter .*--name '\/svg-marketplace\/prod\/api\/cursor-secret' .*\)" >> \/etc\/marketplace\/api\.env$/m);
    expect(script).to.not.contain(String(mockState(password.type, password.name, password.inputs, 'us-east-1')['result']));
  });
});
