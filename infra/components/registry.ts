import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { IMAGES_KEPT_PER_APP } from '../../core/limits.ts';
import { componentType, type StackContext } from '../context.ts';

export const APP_IMAGES = ['api', 'web'] as const;
export type AppImage = (typeof APP_IMAGES)[number];

/**
 * ECR repositories for the app images built from `app/<name>/Dockerfile`. CI pushes them tagged
 * with the commit (no Docker engine runs where the program does); hosts boot on the tag named
 * by `imageTag` and keep as many images as ECR does (`IMAGES_KEPT_PER_APP`, one constant).
 */
export class Registry extends pulumi.ComponentResource {
  readonly repositories: Record<AppImage, aws.ecr.Repository>;

  constructor(name: string, ctx: StackContext, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Registry'), name, {}, opts);
    const make = (image: AppImage) => {
      const repoName = ctx.name(image, 'ecrRepository');
      const repository = new aws.ecr.Repository(
        repoName,
        {
          name: repoName,
          imageTagMutability: 'MUTABLE', // a retried deploy pushes its commit tag again (build metadata differs)
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: 'AES256' }],
          forceDelete: ctx.config.removal === 'destroy',
          tags: ctx.tags,
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${repoName}-keep-${IMAGES_KEPT_PER_APP}`,
        {
          repository: repository.name,
          policy: JSON.stringify({
            rules: [
              {
                rulePriority: 1,
                description: `keep the ${IMAGES_KEPT_PER_APP} newest images`,
                selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: IMAGES_KEPT_PER_APP },
                action: { type: 'expire' },
              },
            ],
          }),
        },
        { parent: repository },
      );
      return repository;
    };
    this.repositories = { api: make('api'), web: make('web') };
    this.registerOutputs({ api: this.repositories.api.repositoryUrl, web: this.repositories.web.repositoryUrl });
  }

  /** The image reference a host runs: `<repository url>:<imageTag>`. */
  image(name: AppImage, tag: string): pulumi.Output<string> {
    return pulumi.interpolate`${this.repositories[name].repositoryUrl}:${tag}`;
  }

  /** ECR pull rights on these repositories (GetAuthorizationToken is account-wide by AWS design). */
  pullStatements() {
    return [
      { Sid: 'EcrLogin', Effect: 'Allow' as const, Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
      {
        Sid: 'PullAppImages',
        Effect: 'Allow' as const,
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Resource: [this.repositories.api.arn, this.repositories.web.arn],
      },
    ];
  }
}
