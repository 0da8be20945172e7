/**
 * Once per AWS account, by an administrator (README, *Deploying*, step 3): `pulumi up` in this folder creates
 * GitHub's OIDC provider and the roles the workflows assume; its outputs go into the GitHub variables
 * AWS_PREVIEW_ROLE_ARN, AWS_DEPLOY_PROD_ROLE_ARN, AWS_DEPLOY_DEV_ROLE_ARN and AWS_EPHEMERAL_ROLE_ARN. The main program (../) is separate.
 */
import * as pulumi from '@pulumi/pulumi';
import { GithubDeployRoles } from './github-deploy-roles.ts';

export default function main() {
  const config = new pulumi.Config();
  const roles = new GithubDeployRoles('github', {
    repository: config.require('repository'),
    projectPrefix: config.get('projectPrefix'),
    existingOidcProviderArn: config.get('existingOidcProviderArn'),
  });
  return {
    oidcProviderArn: roles.oidcProviderArn,
    AWS_PREVIEW_ROLE_ARN: roles.previewRoleArn,
    AWS_DEPLOY_PROD_ROLE_ARN: roles.deployProdRoleArn,
    AWS_DEPLOY_DEV_ROLE_ARN: roles.deployDevRoleArn,
    AWS_EPHEMERAL_ROLE_ARN: roles.ephemeralRoleArn,
  };
}
