import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';
import { componentType } from '../component-type.ts';
import type { Namer } from '../naming.ts';
import type { Statement } from '../iam.ts';
import type { Component } from '../../core/catalog/component-logins.ts';
import { DATABASE_NAME } from './database.ts';
import type { ComponentLogin } from './database-logins.ts';

/** The components that reach a dev stack's database from outside its host: the Lambdas. */
export const TLS_CLIENTS = ['pipeline', 'payouts'] as const satisfies readonly Component[];
export type TlsClient = (typeof TLS_CLIENTS)[number];

/** Certificates are renewed by the `pulumi up` of the last 30 days of their two years; the CA lasts ten. */
const LEAF_HOURS = 2 * 365 * 24;
const RENEW_HOURS = 30 * 24;
const CA_HOURS = 10 * 365 * 24;
/** P-256: small PEMs, so a client's CA, certificate and key fit one standard SSM parameter (4 KB). */
const KEY = { algorithm: 'ECDSA', ecdsaCurve: 'P256' } as const;

/** What a Lambda connects with instead of a password: PgBouncer's URL and the parameter holding its certificate. */
export interface ClientTls {
  /** `postgres://<login>@<host ip>:6432/marketplace?sslmode=verify-full`: no password, none is asked for. */
  url: pulumi.Output<string>;
  /** SecureString with `{"ca","cert","key"}` (JSON): read at cold start (`DATABASE_TLS_PARAMETER`). */
  parameter: aws.ssm.Parameter;
  readStatement(): Statement;
}

export interface DatabaseTlsArgs {
  /** Physical names; the parameters live under `/<project>/<stack>/database/`. */
  naming: Namer;
  /** The dev host's static IP: PgBouncer's certificate names it and the Lambdas verify it. */
  serverAddress: pulumi.Input<string>;
  /** PgBouncer's port on the host. */
  port: number;
  logins: Record<Component, ComponentLogin>;
}

/**
 * The dev stack's own certificate authority for PgBouncer (infra/pgbouncer.ts), made by the program and kept
 * (keys included) as secrets in its state: a server certificate for the dev host's static IP and one client
 * certificate per login in `TLS_CLIENTS`, whose CN is the login. A client's CA, certificate and key go to its
 * SecureString; the CA, the server's certificate and key go to the host through the deploy's SSH step.
 */
export class DatabaseTls extends pulumi.ComponentResource {
  readonly caCert: pulumi.Output<string>;
  readonly serverCert: pulumi.Output<string>;
  readonly serverKey: pulumi.Output<string>;
  readonly clients: Record<TlsClient, ClientTls>;

  constructor(name: string, args: DatabaseTlsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('DatabaseTls'), name, {}, opts);
    const parent = { parent: this };
    const { naming } = args;
    const caKey = new tls.PrivateKey(naming('db-ca-key'), KEY, parent);
    const ca = new tls.SelfSignedCert(
      naming('db-ca'),
      {
        privateKeyPem: caKey.privateKeyPem,
        subject: { commonName: `${naming.project}-${naming.stack} database CA` },
        isCaCertificate: true,
        validityPeriodHours: CA_HOURS,
        earlyRenewalHours: RENEW_HOURS,
        allowedUses: ['cert_signing', 'crl_signing'],
      },
      parent,
    );
    this.caCert = ca.certPem;
    const leaf = (slug: string, subject: pulumi.Input<string>, uses: string[], ipAddresses?: pulumi.Input<string>[]) => {
      const key = new tls.PrivateKey(naming(`${slug}-key`), KEY, parent);
      const request = new tls.CertRequest(naming(`${slug}-csr`), { privateKeyPem: key.privateKeyPem, subject: { commonName: subject }, ...(ipAddresses ? { ipAddresses } : {}) }, parent);
      const cert = new tls.LocallySignedCert(
        naming(slug),
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          validityPeriodHours: LEAF_HOURS,
          earlyRenewalHours: RENEW_HOURS,
          allowedUses: ['digital_signature', 'key_agreement', ...uses],
        },
        parent,
      );
      return { cert: cert.certPem, key: pulumi.secret(key.privateKeyPem) };
    };
    // The Lambdas connect to the IP (the host has no DNS name): Node checks it against the IP SAN.
    const server = leaf('db-pgbouncer', args.serverAddress, ['server_auth'], [args.serverAddress]);
    this.serverCert = server.cert;
    this.serverKey = server.key;

    const client = (component: TlsClient): ClientTls => {
      const login = args.logins[component];
      const pair = leaf(`db-${component}-client`, login.user, ['client_auth']);
      const parameter = new aws.ssm.Parameter(
        naming(`db-${component}-client-tls`, 'ssmParameter'),
        {
          name: `/${naming.project}/${naming.stack}/database/${component}-client-tls`,
          type: 'SecureString',
          value: pulumi.secret(pulumi.jsonStringify({ ca: ca.certPem, cert: pair.cert, key: pair.key })),
        },
        // Its name is fixed: a replacement must free the name before taking it again.
        { ...parent, deleteBeforeReplace: true },
      );
      return {
        url: pulumi.interpolate`postgres://${login.user}@${args.serverAddress}:${args.port}/${DATABASE_NAME}?sslmode=verify-full`,
        parameter,
        readStatement: () => ({ Sid: `Read${component.charAt(0).toUpperCase()}${component.slice(1)}DatabaseCertificate`, Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [parameter.arn] }),
      };
    };
    this.clients = Object.fromEntries(TLS_CLIENTS.map((c) => [c, client(c)])) as Record<TlsClient, ClientTls>;
    this.registerOutputs({ caCert: this.caCert });
  }
}
