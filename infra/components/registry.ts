import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { componentType, type StackContext } from '../context.ts';

/** Rotation keeps the running image, the previous one to roll back to, and one more. */
export const KEPT_IMAGES = 3;
export const APP_IMAGES = ['api', 'web'] as const;
export type AppImage = (typeof APP_IMAGES)[number];

/**
 * ECR repositories for the app images built from `app/<name>/Dockerfile`. CI pushes them
 * (no Docker engine runs where the program does); hosts run the tag named by `imageTag`.
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
          imageTagMutability: 'MUTABLE', // `latest` moves on every rotation
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: 'AES256' }],
          forceDelete: ctx.config.removal === 'destroy',
          tags: ctx.tags,
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${repoName}-keep-${KEPT_IMAGES}`,
        {
          repository: repository.name,
          policy: JSON.stringify({
            rules: [
              {
                rulePriority: 1,
                description: `keep the ${KEPT_IMAGES} newest images`,
                selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: KEPT_IMAGES },
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
