/**
 * The program builds and pushes the app images itself (`@pulumi/docker-build`), so a first deploy
 * is one `pulumi up`: these tests read what each stack asks BuildKit for and check that every
 * consumer runs exactly the pushed build, by digest. (The order the engine creates them in,
 * `dependsOn` and the digest's data flow, are checked in engine.test.ts on the wire.)
 */
import { expect } from 'chai';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { OFFLINE_IMAGE_TAG } from '../../scripts/plan/stack-config.ts';
import { ofType, one, stackRun } from './fixture.ts';

const IMAGE = 'docker-build:index:Image';

function digestOf(image: PlannedResource): string {
  return String(mockState(image.type, image.name, image.inputs, 'us-east-1')['digest']);
}

function repository(run: OfflineRun, app: 'api' | 'web'): string {
  return String(run.outputs[`${app}RepositoryUrl`]);
}

describe('app images built and pushed by the program', () => {
  const expectedPlatforms = { dev: { api: ['linux/amd64'], web: ['linux/amd64'] }, 'pr-7': { api: ['linux/amd64'], web: ['linux/amd64'] }, prod: { api: ['linux/arm64'], web: ['linux/amd64'] } };
  for (const stack of ['dev', 'prod', 'pr-7'] as const) {
    it(`${stack}: one image per app from its Dockerfile, for the platform it runs on, pushed to its repository tagged with the commit`, async () => {
      const run = await stackRun(stack);
      const images = ofType(run, IMAGE);
      expect(images.map((i) => i.name)).to.have.members([`svg-marketplace-${stack}-api-image`, `svg-marketplace-${stack}-web-image`]);
      for (const app of ['api', 'web'] as const) {
        const image = one(run, IMAGE, `-${app}-image`);
        expect(image.inputs).to.deep.include({
          context: { location: '.' },
          dockerfile: { location: `app/${app}/Dockerfile` },
          platforms: expectedPlatforms[stack][app],
          tags: [`${repository(run, app)}:${OFFLINE_IMAGE_TAG}`],
          push: true,
          buildOnPreview: false,
        });
        // The deployer's own short-lived ECR token, never stored in plain text.
        expect(image.inputs['registries']).to.deep.equal([{ address: repository(run, app), username: 'AWS', password: 'mock-ecr-token' }]);
        expect(image.secretInputs).to.include('registries');
      }
    });
  }

  it('prod: the storefront’s Lightsail deployment runs the pushed web build, pinned by digest', async () => {
    const prod = await stackRun('prod');
    const deployment = one(prod, 'aws:lightsail/containerServiceDeploymentVersion:ContainerServiceDeploymentVersion', '-deployment');
    const [container] = deployment.inputs['containers'] as { image: string }[];
    const digest = digestOf(one(prod, IMAGE, '-web-image'));
    expect(container?.image).to.equal(`${repository(prod, 'web')}@${digest}`);
  });

  it('prod: the API launch template boots the pushed api build, pulled by digest', async () => {
    const prod = await stackRun('prod');
    const template = one(prod, 'aws:ec2/launchTemplate:LaunchTemplate', '-api');
    const script = Buffer.from(String(template.inputs['userData']), 'base64').toString();
    const digest = digestOf(one(prod, IMAGE, '-api-image'));
    expect(script).to.contain(`docker pull --quiet '${repository(prod, 'api')}@${digest}'`);
    // And nothing else: no pull by a tag that a later push could move.
    expect(script.match(/^docker pull .*$/gm)).to.deep.equal([`docker pull --quiet '${repository(prod, 'api')}@${digest}'`]);
  });
});
