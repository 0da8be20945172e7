import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { pageCsp } from '../../app/nginx/render.ts';
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER } from '../../core/edge/origin-verify.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import { HOST_APPS, listenEnv } from '../host-layout.ts';
import type { Registry } from './registry.ts';
import { previewCacheBehaviors, previewOriginParts, previewReadPolicy } from './assets-cdn.ts';
import type { Storage } from './storage.ts';
import { WebFirewall, type WebFirewallArgs } from './waf.ts';

/** CloudFront-managed policies (fixed IDs published by AWS). */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

/**
 * What the API behaviour forwards: the viewer headers the API reads (CSRF: Origin, Sec-Fetch-Site;
 * the Stripe webhook's signature; the event stream's resume point) and CloudFront's viewer address,
 * which the API takes as the client's (CLIENT_ADDRESS_HEADER). Not Host: CloudFront checks the
 * origin's certificate against the Host it sends, and the ALB's names the API domain.
 */
export const API_FORWARDED_HEADERS = ['Origin', 'Sec-Fetch-Site', 'Content-Type', 'Accept', 'User-Agent', 'Referer', 'Stripe-Signature', 'Last-Event-ID', 'CloudFront-Viewer-Address'] as const;

/** Security headers on every page and API response (previews keep their stricter policy). */
export const HSTS_MAX_AGE_SECONDS = 31_536_000;

/** CloudFront and its WAF ACL only exist in us-east-1, whatever the stack's region. */
export const EDGE_REGION = 'us-east-1';

export interface FrontendArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** The AWS provider for us-east-1 (`EDGE_REGION`), where CloudFront's WAF ACL must live; the stack's tags as its default tags. */
  edgeProvider: aws.Provider;
  registry: Registry;
  storage: Storage;
  /** Public origin of the API (`https://<apiDomainName>`): the storefront's server calls it, CloudFront routes `/api/*` to it. */
  apiOrigin: pulumi.Input<string>;
  /** Lightsail container service power (stack config `frontendPower`). @default "nano" */
  power: string;
  /** Lightsail container service nodes (stack config `frontendScale`). @default 1 */
  scale: number;
  /** The storefront's own domain (stack config `webDomainName`). @default CloudFront's own `*.cloudfront.net` name */
  domainName?: string;
  /** A us-east-1 ACM certificate for `domainName` (stack config `webCertificateArn`). @default CloudFront's certificate */
  certificateArn?: string;
  /** The edge WAF's rate limit and block lists (stack config `wafRateLimitPer5Minutes`, `wafBlockedIps`, `wafBlockedUserAgents`). */
  firewall: Pick<WebFirewallArgs, 'rateLimitPer5Minutes' | 'blockedIps' | 'blockedUserAgents'>;
}

/**
 * The prod storefront: the Next.js image on a Lightsail container service, behind CloudFront
 * (which also serves previews from the assets bucket through origin access control) with a
 * WAF web ACL created in us-east-1.
 */
export class Frontend extends pulumi.ComponentResource {
  readonly containerService: aws.lightsail.ContainerService;
  readonly distribution: aws.cloudfront.Distribution;
  readonly firewall: WebFirewall;
  /** The secret CloudFront sends its origins in `x-origin-verify`; the ALB and the storefront refuse requests without it. */
  readonly originSecret: pulumi.Output<string>;
  private readonly domainName: string | undefined;

  constructor(name: string, args: FrontendArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Frontend'), name, {}, opts);
    const parent = { parent: this };
    const naming = args.naming;
    this.domainName = args.domainName;

    const serviceName = naming('web', 'lightsailContainerService');
    this.containerService = new aws.lightsail.ContainerService(
      serviceName,
      {
        name: serviceName,
        power: args.power,
        scale: args.scale,
        privateRegistryAccess: { ecrImagePullerRole: { isActive: true } },
      },
      { ...parent, ...FIXED_NAME },
    );
    // Lightsail pulls from ECR with its own role; the repository must name that principal.
    const pullPolicy = new aws.ecr.RepositoryPolicy(
      `${serviceName}-pull`,
      {
        repository: args.registry.repositories.web.name,
        policy: this.containerService.privateRegistryAccess.apply((access) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'LightsailPull',
                Effect: 'Allow',
                Principal: { AWS: access.ecrImagePullerRole?.principalArn ?? '' },
                Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
              },
            ],
          }),
        ),
      },
      { parent: this.containerService },
    );
    const originSecret = new random.RandomPassword(`${serviceName}-origin-secret`, { length: 48, special: false }, parent);
    this.originSecret = pulumi.secret(originSecret.result);

    this.firewall = new WebFirewall(
      naming('web-waf', 'wafWebAcl'),
      {
        scope: 'CLOUDFRONT',
        rateLimitPer5Minutes: args.firewall.rateLimitPer5Minutes,
        // The storefront server's own API calls carry the origin secret: the API limits those, not the edge.
        rateLimitExemptHeader: { name: ORIGIN_VERIFY_HEADER, value: this.originSecret },
        blockedIps: args.firewall.blockedIps,
        blockedUserAgents: args.firewall.blockedUserAgents,
      },
      { ...parent, provider: args.edgeProvider },
    );

    const previews = previewOriginParts(naming, parent);
    const securityHeaders = new aws.cloudfront.ResponseHeadersPolicy(
      naming('web-headers'),
      {
        name: naming('web-headers'),
        comment: 'Storefront pages and the API: the page CSP of app/nginx, HSTS, no framing, no sniffing',
        securityHeadersConfig: {
          contentSecurityPolicy: {
            override: true,
            contentSecurityPolicy: args.storage.uploads.bucket.bucketRegionalDomainName.apply((uploads) => pageCsp({ imageOrigins: [], connectOrigins: [`https://${uploads}`] })),
          },
          strictTransportSecurity: { override: true, accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS, includeSubdomains: true },
          frameOptions: { override: true, frameOption: 'DENY' },
          contentTypeOptions: { override: true },
          referrerPolicy: { override: true, referrerPolicy: 'strict-origin-when-cross-origin' },
        },
      },
      { ...parent, ...FIXED_NAME },
    );
    const apiRequests = new aws.cloudfront.OriginRequestPolicy(
      naming('api-requests'),
      {
        name: naming('api-requests'),
        comment: 'The API: its viewer headers and CloudFront-Viewer-Address, every cookie and query string',
        headersConfig: { headerBehavior: 'whitelist', headers: { items: [...API_FORWARDED_HEADERS] } },
        cookiesConfig: { cookieBehavior: 'all' },
        queryStringsConfig: { queryStringBehavior: 'all' },
      },
      { ...parent, ...FIXED_NAME },
    );
    const originHeaders = [{ name: ORIGIN_VERIFY_HEADER, value: this.originSecret }];
    const webOrigin = 'web';
    const assetsOrigin = 'assets';
    const apiOrigin = 'api';
    this.distribution = new aws.cloudfront.Distribution(
      naming('cdn'),
      {
        enabled: true,
        isIpv6Enabled: true,
        httpVersion: 'http2and3',
        priceClass: 'PriceClass_100',
        comment: `${naming.project} ${naming.stack} storefront and previews`,
        webAclId: this.firewall.webAcl.arn,
        ...(args.domainName ? { aliases: [args.domainName] } : {}),
        origins: [
          {
            originId: webOrigin,
            // The service URL is `https://<host>/`; CloudFront wants the bare host.
            domainName: this.containerService.url.apply((url) => new URL(url).host),
            customOriginConfig: { originProtocolPolicy: 'https-only', httpPort: 80, httpsPort: 443, originSslProtocols: ['TLSv1.2'] },
            customHeaders: originHeaders,
          },
          { originId: assetsOrigin, domainName: args.storage.assets.bucket.bucketRegionalDomainName, originAccessControlId: previews.accessControl.id },
          {
            originId: apiOrigin,
            domainName: pulumi.output(args.apiOrigin).apply((url) => new URL(url).host),
            customOriginConfig: { originProtocolPolicy: 'https-only', httpPort: 80, httpsPort: 443, originSslProtocols: ['TLSv1.2'] },
            customHeaders: originHeaders,
          },
        ],
        defaultCacheBehavior: passThrough(webOrigin, ALL_VIEWER_EXCEPT_HOST, securityHeaders.id),
        orderedCacheBehaviors: [
          ...previewCacheBehaviors(assetsOrigin, previews),
          // The browser calls the API on the storefront's origin (as Nginx routes it on a dev host).
          { pathPattern: '/api/*', ...passThrough(apiOrigin, apiRequests.id, securityHeaders.id) },
        ],
        restrictions: { geoRestriction: { restrictionType: 'none' } },
        viewerCertificate: args.certificateArn
          ? { acmCertificateArn: args.certificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' }
          : { cloudfrontDefaultCertificate: true },
      },
      parent,
    );
    previewReadPolicy(args.storage, this.distribution);

    new aws.lightsail.ContainerServiceDeploymentVersion(
      `${serviceName}-deployment`,
      {
        serviceName: this.containerService.name,
        containers: [
          {
            containerName: 'web',
            // Pinned by content: a new build is a new deployment, a rebuilt tag never changes a running one.
            image: args.registry.imageRef('web'),
            ports: { [String(HOST_APPS.web.containerPort)]: 'HTTP' },
            // The same container settings as on a host; only the API's address differs.
            // The server's API calls go through CloudFront (the ALB admits nothing else), marked by the origin secret.
            environment: { ...listenEnv('web'), API_INTERNAL_URL: this.url, [ORIGIN_VERIFY_ENV]: this.originSecret, NODE_ENV: 'production' },
          },
        ],
        publicEndpoint: {
          containerName: 'web',
          containerPort: HOST_APPS.web.containerPort,
          healthCheck: { path: HOST_APPS.web.healthPath, successCodes: '200-399', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
        },
      },
      // Lightsail pulls as soon as the deployment is created: the repository must let it first.
      { parent: this.containerService, dependsOn: [pullPolicy] },
    );

    this.registerOutputs({ url: this.url });
  }

  get url(): pulumi.Output<string> {
    return pulumi.interpolate`https://${this.domainName ?? this.distribution.domainName}`;
  }
}

/** Dynamic pages and the API: every method through to the origin with the viewer's request, nothing cached. */
function passThrough(targetOriginId: string, originRequestPolicyId: pulumi.Input<string>, responseHeadersPolicyId: pulumi.Input<string>) {
  return {
    targetOriginId,
    viewerProtocolPolicy: 'redirect-to-https',
    allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
    cachedMethods: ['GET', 'HEAD'],
    compress: true,
    cachePolicyId: CACHING_DISABLED,
    originRequestPolicyId,
    responseHeadersPolicyId,
  };
}
