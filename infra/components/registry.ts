import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { join, relative } from 'node:path';
import { IMAGES_KEPT_PER_APP } from '../../core/limits.ts';
import { REPO_ROOT } from '../bundles.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';

export const APP_IMAGES = ['api', 'web'] as const;
export type AppImage = (typeof APP_IMAGES)[number];

/** The CPU architectures the images run on: Docker's platform names. */
export type ImagePlatform = 'linux/amd64' | 'linux/arm64';

export interface RegistryArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** The stack keeps its data (`removal: retain`): a destroy refuses to delete repositories that still hold images. */
  retainData: boolean;
  /** The commit the images are built from and tagged with (stack config `imageTag`). */
  imageTag: string;
  /**
   * Where each image runs decides what it is built for: Lightsail (dev host, container service)
   * is x86_64; prod's API instances are whatever `apiInstanceType` is (Graviton: arm64).
   */
  platforms: Record<AppImage, ImagePlatform[]>;
}

/** The build context is the repository root (the Dockerfiles COPY from there), relative to where Pulumi runs the program, so the state does not hold a runner's path. */
function buildPath(...parts: string[]): string {
  return relative(process.cwd(), join(REPO_ROOT, ...parts)) || '.';
}

/**
 * ECR repositories for the app images, and the images themselves: the program builds
 * `app/<name>/Dockerfile` with BuildKit (`@pulumi/docker-build`) and pushes it tagged with the
 * commit, so a first deploy is one `pulumi up`. Consumers take the digest-pinned reference
 * (`<repository>@sha256:…`), which changes exactly when the image's content does. Hosts also
 * get the commit tag, which the rotation (`scripts/deploy`) moves between, keeping as many
 * images as ECR does (`IMAGES_KEPT_PER_APP`, one constant).
 */
export class Registry extends pulumi.ComponentResource {
  readonly repositories: Record<AppImage, aws.ecr.Repository>;
  readonly images: Record<AppImage, dockerBuild.Image>;

  constructor(name: string, args: RegistryArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Registry'), name, {}, opts);
    const make = (image: AppImage) => {
      const repoName = args.naming(image, 'ecrRepository');
      const repository = new aws.ecr.Repository(
        repoName,
        {
          name: repoName,
          imageTagMutability: 'MUTABLE', // a retried deploy pushes its commit tag again (build metadata differs)
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: 'AES256' }],
          forceDelete: !args.retainData,
        },
        { parent: this, ...FIXED_NAME },
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

    const build = (image: AppImage) => {
      const repository = this.repositories[image];
      // A short-lived token (12 h) read on every run: the deployer's own ECR rights, nothing stored.
      const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });
      return new dockerBuild.Image(
        `${args.naming(image, 'ecrRepository')}-image`,
        {
          context: { location: buildPath() },
          dockerfile: { location: buildPath('app', image, 'Dockerfile') },
          platforms: args.platforms[image],
          tags: [pulumi.interpolate`${repository.repositoryUrl}:${args.imageTag}`],
          push: true,
          // A preview (pull requests, the first half of `pulumi up`) shows the change without building.
          buildOnPreview: false,
          registries: [{ address: repository.repositoryUrl, username: token.userName, password: pulumi.secret(token.password) }],
        },
        { parent: repository },
      );
    };
    this.images = { api: build('api'), web: build('web') };
    this.registerOutputs({ api: this.repositories.api.repositoryUrl, web: this.repositories.web.repositoryUrl, apiImage: this.imageRef('api'), webImage: this.imageRef('web') });
  }

  /** The image as pushed by this run, pinned by content: `<repository url>@sha256:…`. */
  imageRef(name: AppImage): pulumi.Output<string> {
    return pulumi.interpolate`${this.repositories[name].repositoryUrl}@${this.images[name].digest}`;
  }

  /** The digest alone (`sha256:…`), for hosts that also tag the image with its commit. */
  digest(name: AppImage): pulumi.Output<string> {
    return this.images[name].digest;
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
