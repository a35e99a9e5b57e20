import type { CredentialFormOptions, CredentialKind, CredentialProfile, TestResult } from '../api/backend';

export const kindLabels: Record<CredentialKind, string> = {
  aws: 'AWS account',
  s3compat: 'S3-compatible store',
  registry: 'Container registry',
};

export const kindDescriptions: Record<CredentialKind, string> = {
  aws: 'Amazon S3 and ECR: access keys or an AWS CLI profile (SSO included), optionally assuming a role.',
  s3compat: 'Alibaba Cloud OSS, Tencent COS, Qiniu, Google Cloud Storage, Cloudflare R2, MinIO or any S3 API.',
  registry: 'Any OCI or Docker registry: host, user name and password or token.',
};

export const partitionLabels: Record<string, string> = {
  aws: 'AWS (global regions)',
  'aws-cn': 'AWS China (Beijing, Ningxia)',
  'aws-us-gov': 'AWS GovCloud (US)',
};

/** A short title for a test outcome, for the table; the full message says what to do. */
const problemTitles: Record<string, string> = {
  ok: 'Connected',
  'wrong-access-key': 'Wrong access key ID',
  'wrong-secret': 'Wrong secret key',
  'expired-token': 'Temporary keys expired',
  'clock-skew': "Computer's clock is off",
  'access-denied': 'No permission',
  'no-such-bucket': 'Bucket not found',
  'wrong-region': 'Wrong region',
  unreachable: 'Endpoint unreachable',
  'host-not-found': 'Host not found',
  timeout: 'No answer',
  'tls-unknown-authority': 'Untrusted certificate',
  'tls-hostname-mismatch': 'Certificate name mismatch',
  'tls-certificate-invalid': 'Invalid certificate',
  'tls-plain-http': 'Server is not HTTPS',
  'http-to-tls': 'Server needs HTTPS',
  unauthorized: 'Login refused',
  'not-a-registry': 'Not a registry',
  'secret-missing': 'Secret missing',
  keychain: 'Keychain unavailable',
  config: 'Settings problem',
  'sso-expired': 'SSO login needed',
  'service-error': 'Service error',
  'bad-endpoint': 'Bad endpoint',
  'assume-role-denied': 'Role cannot be assumed',
};

export function testTitle(r: TestResult): string {
  return problemTitles[r.code] ?? (r.ok ? 'Connected' : 'Test failed');
}

export function providerLabel(options: CredentialFormOptions | null, name: string | undefined): string {
  if (!name) return '';
  return options?.providers.find((p) => p.name === name)?.label ?? name;
}

/** Where a profile points: endpoint, host or AWS partition and credential source. */
export function targetOf(p: CredentialProfile, options: CredentialFormOptions | null): string {
  switch (p.kind) {
    case 'aws': {
      const part = partitionLabels[p.partition ?? 'aws'] ?? p.partition ?? 'AWS';
      const via = p.sharedProfile ? `AWS CLI profile ${p.sharedProfile}` : `key ${p.accessKeyId ?? ''}`;
      return `${part} · ${via}${p.roleArn ? ' · assumes a role' : ''}`;
    }
    case 's3compat': {
      const endpoint = p.endpoint ?? '';
      if (endpoint) return endpoint;
      const prov = options?.providers.find((o) => o.name === p.provider);
      return prov?.endpointExample ? `${prov.label} (${prov.endpointExample.replace(prov.defaultRegion, p.region || prov.defaultRegion)})` : providerLabel(options, p.provider);
    }
    case 'registry':
      return `${p.host ?? ''}${p.insecureHttp ? ' (plain HTTP)' : ''}`;
  }
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
