/**
 * CrossGuard policy pack: `pulumi preview --policy-pack infra/policy`. The rules themselves are
 * in rules.ts and also run offline (tests, `npm run plan`).
 */
import { PolicyPack, type PolicyResource } from '@pulumi/policy';
import { RULES, type PolicySubject } from './rules.ts';

function toSubject(resource: PolicyResource): PolicySubject {
  const region = resource.provider?.props['region'];
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: resource.props,
    region: typeof region === 'string' ? region : undefined,
  };
}

new PolicyPack('svg-marketplace', {
  enforcementLevel: 'mandatory',
  policies: RULES.map((rule) => ({
    name: rule.name,
    description: rule.description,
    validateStack: (args, reportViolation) => {
      for (const found of rule.check(args.resources.map(toSubject))) reportViolation(found.message, found.urn);
    },
  })),
});
