/** Graviton instance families (t4g, m7g, c7gn…) run arm64; everything else here is x86_64. */
export function instanceArchitecture(instanceType: string): 'arm64' | 'x86_64' {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+g[a-z]*$/.test(family) ? 'arm64' : 'x86_64';
}

/** The SSM public parameter naming the latest Amazon Linux 2023 AMI for an architecture. */
export function amazonLinuxParameter(instanceType: string): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${instanceArchitecture(instanceType)}`;
}

/** Shell-quote one value for user data scripts. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `-e NAME=value` flags for `docker run`, quoted. */
export function dockerEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => `-e ${shellQuote(`${key}=${value}`)}`)
    .join(' ');
}
