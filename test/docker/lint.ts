/**
 * Rules the Dockerfiles must keep (no hadolint on npm): pinned base images, a build stage and a small
 * runtime stage, non-root, a health check, dependencies from the lockfile, exec-form commands.
 */
import { DockerfileParser } from 'dockerfile-ast';

export interface LintFinding {
  line: number;
  rule: string;
  message: string;
}

/** Node LTS lines are even; 22 and 24 are current. */
const MIN_NODE_LTS = 22;

export function lintDockerfile(text: string): LintFinding[] {
  const findings: LintFinding[] = [];
  const add = (line: number, rule: string, message: string) => findings.push({ line: line + 1, rule, message });
  const file = DockerfileParser.parse(text);
  const instructions = file.getInstructions();
  const froms = file.getFROMs();

  if (froms.length < 2) add(0, 'multi-stage', 'use a build stage and a separate runtime stage');
  const stageNames = new Set(froms.map((from) => from.getBuildStage()).filter(Boolean));
  for (const from of froms) {
    const line = from.getRange().start.line;
    const image = from.getImageName();
    const tag = from.getImageTag();
    const digest = from.getImageDigest();
    if (image && stageNames.has(image)) continue;
    if (!tag && !digest) add(line, 'pinned-base', `${image} has no tag: pin a version`);
    else if (tag === 'latest') add(line, 'pinned-base', `${image}:latest is not reproducible`);
    else if (tag && !/^\d+\.\d+\.\d+/.test(tag) && !digest) add(line, 'pinned-base', `${image}:${tag}: pin a full version (e.g. 24.11.1-bookworm-slim)`);
    if (image === 'node' && tag) {
      const major = Number(tag.split('.')[0]);
      if (!(major >= MIN_NODE_LTS && major % 2 === 0)) add(line, 'node-lts', `node:${tag} is not a current LTS line`);
    }
  }

  const finalStart = froms.at(-1)?.getRange().start.line ?? 0;
  const inFinal = instructions.filter((i) => i.getRange().start.line >= finalStart);
  const users = inFinal.filter((i) => i.getKeyword() === 'USER');
  const lastUser = users.at(-1)?.getArgumentsContent()?.split(':')[0];
  if (!lastUser) add(finalStart, 'non-root', 'the runtime stage must switch to a non-root USER');
  else if (lastUser === 'root' || lastUser === '0') add(users.at(-1)!.getRange().start.line, 'non-root', 'the runtime stage runs as root');
  if (!inFinal.some((i) => i.getKeyword() === 'HEALTHCHECK')) add(finalStart, 'healthcheck', 'the runtime stage needs a HEALTHCHECK');
  const cmd = inFinal.filter((i) => i.getKeyword() === 'CMD').at(-1);
  if (!cmd) add(finalStart, 'cmd', 'the runtime stage needs a CMD');
  else if (!cmd.getArgumentsContent()?.trim().startsWith('[')) add(cmd.getRange().start.line, 'exec-form', 'CMD must use the exec form so signals reach node');

  for (const instruction of instructions) {
    const line = instruction.getRange().start.line;
    const keyword = instruction.getKeyword();
    const content = instruction.getArgumentsContent() ?? '';
    if (keyword === 'RUN' && /\bnpm (install|i)\b/.test(content)) add(line, 'npm-ci', 'install with `npm ci` from the lockfile, not `npm install`');
    if (keyword === 'RUN' && /\b(yarn|pnpm)\b/.test(content)) add(line, 'npm-ci', 'the repository is locked with npm');
    if (keyword === 'ADD') add(line, 'no-add', 'use COPY (ADD fetches URLs and unpacks archives implicitly)');
    if (keyword === 'COPY' && instruction.getRange().start.line >= finalStart && !/--from=/.test(instruction.getTextContent())) {
      add(line, 'runtime-from-build', 'the runtime stage should copy only build outputs (COPY --from=build)');
    }
    if (keyword === 'ENV' && /(SECRET|PASSWORD|TOKEN|KEY)\w*=/i.test(content)) add(line, 'no-secrets', 'secrets do not belong in the image');
  }
  if (!instructions.some((i) => i.getKeyword() === 'RUN' && /\bnpm ci\b/.test(i.getArgumentsContent() ?? ''))) {
    add(0, 'npm-ci', 'dependencies must come from `npm ci` and the root lockfile');
  }
  if (!instructions.some((i) => i.getKeyword() === 'COPY' && /package-lock\.json/.test(i.getArgumentsContent() ?? ''))) {
    add(0, 'npm-ci', 'copy package-lock.json before `npm ci`');
  }
  return findings;
}
