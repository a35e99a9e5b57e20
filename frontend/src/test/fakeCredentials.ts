import { vi } from 'vitest';
import type {
  CredentialFields,
  CredentialFormOptions,
  CredentialProfile,
  CredentialSaveResult,
  CredentialSecret,
  CredentialsView,
  FieldError,
  TestResult,
} from '../api/backend';

export const testFormOptions: CredentialFormOptions = {
  partitions: ['aws', 'aws-cn', 'aws-us-gov'],
  regions: { aws: ['us-east-1', 'eu-west-1'], 'aws-cn': ['cn-north-1', 'cn-northwest-1'], 'aws-us-gov': ['us-gov-west-1'] },
  providers: [
    { name: 'aliyun-oss', label: 'Alibaba Cloud OSS', needsEndpoint: false, defaultRegion: 'cn-hangzhou', endpointExample: 'https://oss-cn-hangzhou.aliyuncs.com', pathStyle: false },
    { name: 'minio', label: 'MinIO', needsEndpoint: true, defaultRegion: 'us-east-1', endpointExample: '', pathStyle: true },
    { name: 'other', label: 'Other S3-compatible store', needsEndpoint: true, defaultRegion: 'us-east-1', endpointExample: '', pathStyle: true },
  ],
  sharedProfiles: ['default', 'sso-dev'],
};

export interface FakeCredentialsOptions {
  profiles?: CredentialProfile[];
  problem?: string;
  /** Returned by the next saves instead of storing. */
  fieldErrors?: FieldError[];
  /** Test results by profile id; default: OK. */
  results?: Record<string, TestResult>;
  /** deleteCredentials rejects with this text. */
  deleteError?: string;
}

export function okResult(message = 'Connected.'): TestResult {
  return { ok: true, code: 'ok', message, buckets: 2, at: '2026-03-04T05:06:07Z', durationMs: 12 };
}

/** An in-memory credentials side of the Backend; secrets are kept apart, as in Go. */
export function fakeCredentials(opts: FakeCredentialsOptions = {}) {
  let profiles: CredentialProfile[] = [...(opts.profiles ?? [])];
  const secrets = new Map<string, CredentialSecret>();
  let seq = 0;
  const api = {
    listCredentials: vi.fn(
      (): Promise<CredentialsView> =>
        Promise.resolve({ profiles: [...profiles], file: '/home/u/.config/transfer-hub/profiles.json', problem: opts.problem ?? '' }),
    ),
    saveCredentials: vi.fn((fields: CredentialFields, secret: CredentialSecret | null): Promise<CredentialSaveResult> => {
      if (opts.fieldErrors) return Promise.resolve({ ok: false, fieldErrors: opts.fieldErrors });
      const id = fields.id || `p${String(++seq)}`;
      if (secret) secrets.set(id, secret);
      const prev = profiles.find((p) => p.id === id);
      const saved: CredentialProfile = {
        ...fields,
        id,
        secretSet: fields.kind === 'aws' && fields.sharedProfile ? false : secrets.has(id) || (prev?.secretSet ?? false),
        createdAt: prev?.createdAt ?? '2026-03-04T05:06:07Z',
        updatedAt: '2026-03-04T05:06:07Z',
      };
      profiles = prev ? profiles.map((p) => (p.id === id ? saved : p)) : [...profiles, saved];
      return Promise.resolve({ ok: true, profile: saved });
    }),
    deleteCredentials: vi.fn((id: string): Promise<void> => {
      if (opts.deleteError) return Promise.reject(new Error(opts.deleteError));
      profiles = profiles.filter((p) => p.id !== id);
      secrets.delete(id);
      return Promise.resolve();
    }),
    testCredentials: vi.fn((id: string): Promise<TestResult> => {
      const res = opts.results?.[id] ?? okResult();
      profiles = profiles.map((p) => (p.id === id ? { ...p, lastTest: res } : p));
      return Promise.resolve(res);
    }),
    credentialFormOptions: vi.fn((): Promise<CredentialFormOptions> => Promise.resolve(testFormOptions)),
  };
  return { api, profiles: () => profiles, secrets };
}
