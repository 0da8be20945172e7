import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { COMPONENTS, componentLoginUser, type Component, type LoginsPlan } from '../../core/catalog/component-logins.ts';
import { componentType } from '../component-type.ts';
import type { Namer } from '../naming.ts';
import { policyDocument, type Statement } from '../iam.ts';
import { type DatabaseEndpoint, postgresUrlFor } from './database.ts';

/** One component's database login: its user (migration 0037's group member) and its password's parameter. */
export interface ComponentLogin {
  component: Component;
  /** `<component>_login` (core/catalog/component-logins.ts). */
  user: string;
  /** Generated for this stack, kept encrypted in its state (secret). */
  password: pulumi.Output<string>;
  /** The SecureString holding `password`: the component reads it, and the deploy's login step sets it. */
  parameter: aws.ssm.Parameter;
  /** `postgres://<user>@host:port/marketplace?<tlsParameters>`, for components that read the password from `parameter`. */
  url: pulumi.Output<string>;
  /** The same URL with the password (secret), for components that take one connection string (the API). */
  urlWithPassword: pulumi.Output<string>;
  /** Lets a principal read `parameter` (ssm:GetParameter on its ARN). */
  readStatement(): Statement;
}

/** Where the deploy's database step reads the master password. */
export type MasterPassword =
  /** Prod: the secret RDS manages (`manageMasterUserPassword`); nothing of it is in the stack. */
  | { secretArn: pulumi.Output<string> }
  /** Dev: Lightsail (or the host's PostgreSQL) has no managed secret; the stack's password goes to a SecureString. */
  | { password: pulumi.Output<string> };

export interface DatabaseLoginsArgs {
  /** Physical names: `<project>-<stack>-<name>`; the parameters live under `/<project>/<stack>/database/`. */
  naming: Namer;
  /** The stack's region: the deploy step's SDK calls go there (`AWS_REGION`). */
  region: string;
  /** The passwords' keeper (stack config `databaseLoginRotation`): a new value, new passwords. */
  rotation: string;
  endpoint: DatabaseEndpoint;
  /** The master user's URL without a password: what the deploy's database step connects to. */
  masterUrl: pulumi.Output<string>;
  master: MasterPassword;
}

/** Letters and digits: nothing a URL, a JDBC property or an env file would need escaped. */
const LOGIN_PASSWORD_LENGTH = 40;

/**
 * A database login per component (issue 13): the API, the pipeline's functions, the payout job and Logstash
 * each connect as their own user with only their group's grants (migration 0037), never as the master user.
 * Per component a password generated here (`RandomPassword`, kept in state) and stored as its SSM SecureString
 * `/<project>/<stack>/database/<component>-password`.
 *
 * The deploy's database step (`scripts/deploy/on-hosts.sh … migrate up|logins`, on an app host) is the only
 * user of the master credentials: it reads the stack output `databaseMigration` (names only), the master
 * password from its secret or parameter, runs the migrations, then sets every login's password from its
 * parameter. Rotation: change `databaseLoginRotation` in the stack config (the passwords' keeper) and deploy.
 */
export class DatabaseLogins extends pulumi.ComponentResource {
  readonly logins: Record<Component, ComponentLogin>;
  /** Dev only: the SecureString holding the master password for the deploy's database step. */
  readonly masterPasswordParameter: aws.ssm.Parameter | undefined;
  /** The environment of the deploy's database step (stack output `databaseMigration`): no secret in it. */
  readonly migrationEnv: pulumi.Output<Record<string, string>>;
  private readonly master: MasterPassword;
  private readonly naming: Namer;

  constructor(name: string, args: DatabaseLoginsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('DatabaseLogins'), name, {}, opts);
    const { naming } = args;
    this.naming = naming;
    this.master = args.master;
    const parent = { parent: this };
    const parameterName = (slug: string) => `/${naming.project}/${naming.stack}/database/${slug}`;

    const login = (component: Component): ComponentLogin => {
      const user = componentLoginUser(component);
      const password = new random.RandomPassword(
        naming(`db-${component}-password-generated`),
        { length: LOGIN_PASSWORD_LENGTH, special: false, keepers: { rotation: args.rotation } },
        parent,
      ).result;
      const parameter = new aws.ssm.Parameter(
        naming(`db-${component}-password`, 'ssmParameter'),
        { name: parameterName(`${component}-password`), type: 'SecureString', value: password },
        // Its name is fixed: a replacement must free the name before taking it again.
        { ...parent, deleteBeforeReplace: true },
      );
      return {
        component,
        user,
        password,
        parameter,
        url: postgresUrlFor(user, args.endpoint),
        urlWithPassword: postgresUrlFor(user, args.endpoint, password),
        readStatement: () => ({ Sid: `Read${capitalised(component)}DatabasePassword`, Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [parameter.arn] }),
      };
    };
    this.logins = Object.fromEntries(COMPONENTS.map((component) => [component, login(component)])) as Record<Component, ComponentLogin>;

    this.masterPasswordParameter =
      'password' in args.master
        ? new aws.ssm.Parameter(
            naming('db-master-password', 'ssmParameter'),
            { name: parameterName('master-password'), type: 'SecureString', value: args.master.password },
            { ...parent, deleteBeforeReplace: true },
          )
        : undefined;

    const plan: pulumi.Output<LoginsPlan> = pulumi.all(COMPONENTS.map((c) => this.logins[c].parameter.name)).apply((names) =>
      COMPONENTS.map((component, i) => ({ component, user: this.logins[component].user, passwordParameter: names[i]! })),
    );
    const masterSource: pulumi.Output<Record<string, string>> =
      'secretArn' in args.master
        ? args.master.secretArn.apply((arn): Record<string, string> => ({ DATABASE_SECRET_ARN: arn }))
        : this.masterPasswordParameter!.name.apply((parameter): Record<string, string> => ({ DATABASE_PASSWORD_PARAMETER: parameter }));
    this.migrationEnv = pulumi.all([args.masterUrl, masterSource, plan]).apply(([url, source, logins]): Record<string, string> => {
      if (new URL(url).password) throw new Error('the database step gets the master URL without its password');
      return { AWS_REGION: args.region, DATABASE_URL: url, ...source, DATABASE_LOGINS: JSON.stringify(logins) };
    });
    this.registerOutputs({ migrationEnv: this.migrationEnv });
  }

  /** What the deploy's database step reads on the host it runs on: the master password and every login's password. */
  deployStepStatements(): Statement[] {
    return [
      'secretArn' in this.master
        ? { Sid: 'ReadMasterSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [this.master.secretArn] }
        : { Sid: 'ReadMasterPassword', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [this.masterPasswordParameter!.arn] },
      { Sid: 'ReadLoginPasswords', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: COMPONENTS.map((c) => this.logins[c].parameter.arn) },
    ];
  }

  /**
   * The deploy's database step runs on the app host (the RDS instance is private): its role (prod) or user
   * (the dev host) may read what the step needs, in a policy of its own beside the logins it serves.
   */
  allowDeployStep(principal: { role: aws.iam.Role } | { user: aws.iam.User }): void {
    const policy = policyDocument(this.deployStepStatements());
    const name = `${this.naming('database-step')}-access`;
    if ('role' in principal) new aws.iam.RolePolicy(name, { role: principal.role.id, policy }, { parent: this });
    else new aws.iam.UserPolicy(name, { user: principal.user.name, policy }, { parent: this });
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
