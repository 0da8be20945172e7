import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { isIPv6 } from 'node:net';
import { componentType } from '../component-type.ts';
import { FIXED_NAME } from '../naming.ts';

export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'] as const;

export interface WebFirewallArgs {
  /** CLOUDFRONT ACLs must live in us-east-1 (pass that provider); REGIONAL ones beside the ALB. */
  scope: 'CLOUDFRONT' | 'REGIONAL';
  /**
   * Requests per 5 minutes per client IP before blocking. @default 1000
   * On a CLOUDFRONT ACL, `IP` is the viewer's own address (the ACL sees the viewer's connection);
   * on a REGIONAL one behind CloudFront it would be an edge's, which is why the ALB has none.
   */
  rateLimitPer5Minutes: number;
  /** Requests whose header `name` equals `value` exactly are not counted (the storefront server's own calls). */
  rateLimitExemptHeader?: { name: string; value: pulumi.Input<string> };
  /** CIDR blocks to block outright (IPv4 and IPv6 mixed). */
  blockedIps: string[];
  /** Case-insensitive substrings of User-Agent to block. */
  blockedUserAgents: string[];
}

/** A WAF web ACL: AWS managed rule groups, a rate limit and block lists from config. */
export class WebFirewall extends pulumi.ComponentResource {
  readonly webAcl: aws.wafv2.WebAcl;

  constructor(name: string, args: WebFirewallArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('WebFirewall'), name, {}, opts);
    const parent = { parent: this };
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    const rules: aws.types.input.wafv2.WebAclRule[] = [];
    let priority = 0;

    for (const [version, addresses] of [
      ['IPV4', args.blockedIps.filter((ip) => !isIPv6(ip.split('/')[0] ?? ''))],
      ['IPV6', args.blockedIps.filter((ip) => isIPv6(ip.split('/')[0] ?? ''))],
    ] as const) {
      if (addresses.length === 0) continue;
      const cidrs = addresses.map((ip) => (ip.includes('/') ? ip : `${ip}/${version === 'IPV4' ? 32 : 128}`));
      const ipSet = new aws.wafv2.IpSet(
        `${name}-blocked-${version.toLowerCase()}`,
        { name: `${name}-blocked-${version.toLowerCase()}`, scope: args.scope, ipAddressVersion: version, addresses: cidrs },
        { ...parent, ...FIXED_NAME },
      );
      rules.push({
        name: `block-ips-${version.toLowerCase()}`,
        priority: priority++,
        action: { block: {} },
        statement: { ipSetReferenceStatement: { arn: ipSet.arn } },
        visibilityConfig: visibility(`block-ips-${version.toLowerCase()}`),
      });
    }

    if (args.blockedUserAgents.length > 0) {
      const matches = args.blockedUserAgents.map((agent) => ({
        byteMatchStatement: {
          fieldToMatch: { singleHeader: { name: 'user-agent' } },
          positionalConstraint: 'CONTAINS',
          searchString: agent.toLowerCase(),
          textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
        },
      }));
      rules.push({
        name: 'block-user-agents',
        priority: priority++,
        action: { block: {} },
        // WAF's OR needs two or more statements.
        statement: matches.length === 1 ? (matches[0] as aws.types.input.wafv2.WebAclRuleStatement) : { orStatement: { statements: matches } },
        visibilityConfig: visibility('block-user-agents'),
      });
    }

    rules.push({
      name: 'rate-limit',
      priority: priority++,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: args.rateLimitPer5Minutes,
          aggregateKeyType: 'IP',
          ...(args.rateLimitExemptHeader
            ? {
                scopeDownStatement: {
                  notStatement: {
                    statement: {
                      byteMatchStatement: {
                        fieldToMatch: { singleHeader: { name: args.rateLimitExemptHeader.name } },
                        positionalConstraint: 'EXACTLY',
                        searchString: args.rateLimitExemptHeader.value,
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                  },
                },
              }
            : {}),
        },
      },
      visibilityConfig: visibility('rate-limit'),
    });

    for (const group of MANAGED_RULE_GROUPS) {
      rules.push({
        name: group,
        priority: priority++,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group } },
        visibilityConfig: visibility(group),
      });
    }

    this.webAcl = new aws.wafv2.WebAcl(
      name,
      {
        name,
        scope: args.scope,
        defaultAction: { allow: {} },
        rules,
        visibilityConfig: visibility(name.slice(0, 128)),
      },
      { ...parent, ...FIXED_NAME },
    );
    this.registerOutputs({ arn: this.webAcl.arn });
  }
}
