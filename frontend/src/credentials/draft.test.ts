import { describe, expect, it } from 'vitest';
import type { CredentialProfile } from '../api/backend';
import { testFormOptions } from '../test/fakeCredentials';
import { draftErrorsOf, draftOf, emptyDraft, fieldsOf, hostProblem, secretOf, validateDraft, type Draft } from './draft';

const goodKey = 'AKIAIOSFODNN7EXAMPLE';
const goodSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ctx = { otherNames: ['Taken'], options: testFormOptions };

function s3(patch: Partial<Draft> = {}): Draft {
  return { ...emptyDraft('s3compat'), name: 'gw', provider: 'minio', endpoint: 'http://127.0.0.1:7070', accessKeyId: 'user', secretAccessKey: 'pw', ...patch };
}
function aws(patch: Partial<Draft> = {}): Draft {
  return { ...emptyDraft('aws'), name: 'acct', accessKeyId: goodKey, secretAccessKey: goodSecret, ...patch };
}
function reg(patch: Partial<Draft> = {}): Draft {
  return { ...emptyDraft('registry'), name: 'r', host: 'registry.example.com:5000', username: 'u', password: 'p', ...patch };
}

const stored: CredentialProfile = {
  id: 'p1', name: 'gw', kind: 's3compat', provider: 'minio', endpoint: 'http://127.0.0.1:7070', accessKeyId: 'user',
  secretSet: true, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
};

describe('validateDraft', () => {
  it('accepts complete drafts of each kind', () => {
    expect(validateDraft(s3(), ctx)).toEqual({});
    expect(validateDraft(aws(), ctx)).toEqual({});
    expect(validateDraft(aws({ awsAuth: 'profile', accessKeyId: '', secretAccessKey: '', sharedProfile: 'sso-dev' }), ctx)).toEqual({});
    expect(validateDraft(reg(), ctx)).toEqual({});
    expect(validateDraft(aws({ partition: 'aws-cn', region: 'cn-north-1', roleArn: 'arn:aws-cn:iam::123456789012:role/Mover', externalId: 'ext-1' }), ctx)).toEqual({});
  });

  it.each<[string, Draft, keyof Draft, RegExp]>([
    ['empty name', s3({ name: ' ' }), 'name', /Enter a name/],
    ['duplicate name', s3({ name: 'taken' }), 'name', /Another profile already has this name/],
    ['long name', s3({ name: 'n'.repeat(65) }), 'name', /at most 64 characters; this name has 65/],
    ['no endpoint for minio', s3({ endpoint: '' }), 'endpoint', /Enter the endpoint URL/],
    ['ftp endpoint', s3({ endpoint: 'ftp://host' }), 'endpoint', /must start with http:\/\/ or https:\/\//],
    ['endpoint with query', s3({ endpoint: 'https://h/?a=1' }), 'endpoint', /no query/],
    ['no provider', s3({ provider: '' }), 'provider', /Choose the provider/],
    ['bad region', s3({ region: 'EU West' }), 'region', /lowercase letters/],
    ['no key', s3({ accessKeyId: '' }), 'accessKeyId', /Enter the access key ID/],
    ['no secret', s3({ secretAccessKey: '' }), 'secretAccessKey', /Enter the secret key/],
    ['bad test bucket', s3({ testBucket: 'Bad_Name' }), 'testBucket', /lowercase letters/],
    ['short key id', aws({ accessKeyId: 'AKIA1234' }), 'accessKeyId', /20 characters.*this one has 8/],
    ['lowercase key id', aws({ accessKeyId: goodKey.toLowerCase() }), 'accessKeyId', /uppercase/],
    ['wrong key prefix', aws({ accessKeyId: 'AIDAIOSFODNN7EXAMPLE' }), 'accessKeyId', /starts with AKIA/],
    ['short secret', aws({ secretAccessKey: 'abc' }), 'secretAccessKey', /40 characters; this one has 3/],
    ['temporary key without token', aws({ accessKeyId: 'ASIAIOSFODNN7EXAMPLE' }), 'sessionToken', /temporary: enter the session token/],
    ['long-term key with token', aws({ sessionToken: 'tok' }), 'sessionToken', /take no session token/],
    ['region of another partition', aws({ partition: 'aws-cn', region: 'us-east-1' }), 'region', /not a region of aws-cn/],
    ['no region', aws({ region: '' }), 'region', /Choose the default region/],
    ['no CLI profile', aws({ awsAuth: 'profile', sharedProfile: '' }), 'sharedProfile', /Choose or type/],
    ['bad role ARN', aws({ roleArn: 'role/Admin' }), 'roleArn', /arn:aws:iam::123456789012:role\/RoleName/],
    ['role in another partition', aws({ roleArn: 'arn:aws-cn:iam::123456789012:role/A' }), 'roleArn', /aws-cn partition, but these credentials are for aws/],
    ['external id without role', aws({ externalId: 'x1' }), 'externalId', /only used when assuming a role/],
    ['registry scheme', reg({ host: 'https://r.example.com' }), 'host', /without http:\/\//],
    ['registry path', reg({ host: 'r.example.com/v2' }), 'host', /no path/],
    ['registry bad port', reg({ host: 'r.example.com:70000' }), 'host', /Port 70000 is not a number/],
    ['registry empty port', reg({ host: 'r.example.com:' }), 'host', /port after the colon is missing/],
    ['registry no user', reg({ username: '' }), 'username', /Enter the user name/],
    ['registry no password', reg({ password: '' }), 'password', /Enter the password or access token/],
    ['registry relative CA', reg({ caFile: 'ca.pem' }), 'caFile', /full path/],
    ['registry CA with plain HTTP', reg({ caFile: '/ca.pem', insecureHttp: true }), 'caFile', /plain HTTP uses none/],
  ])('%s', (_, draft, field, message) => {
    const errors = validateDraft(draft, ctx);
    expect(errors[field as keyof typeof errors]).toMatch(message);
  });

  it('lets an edit keep the stored secret, but not when the key ID changed', () => {
    const edit = { ...draftOf(stored) };
    expect(edit.secretAccessKey).toBe('');
    expect(validateDraft(edit, { ...ctx, original: stored })).toEqual({});
    expect(validateDraft({ ...edit, accessKeyId: 'other' }, { ...ctx, original: stored }).secretAccessKey).toMatch(/You changed the access key ID/);
    // Without a stored secret the edit must provide one.
    expect(validateDraft(edit, { ...ctx, original: { ...stored, secretSet: false } }).secretAccessKey).toMatch(/Enter the secret key/);
  });

  it('does not count the profile being edited as a duplicate name', () => {
    expect(validateDraft(draftOf(stored), { otherNames: [], options: testFormOptions, original: stored }).name).toBeUndefined();
  });
});

describe('secretOf and fieldsOf', () => {
  it('sends the typed secret for a new profile and null for an untouched edit', () => {
    expect(secretOf(s3(), false)).toEqual({ secretAccessKey: 'pw', sessionToken: '' });
    expect(secretOf({ ...draftOf(stored) }, true)).toBeNull();
    expect(secretOf({ ...draftOf(stored), secretAccessKey: 'new' }, true)).toEqual({ secretAccessKey: 'new', sessionToken: '' });
    expect(secretOf(reg(), false)).toEqual({ password: 'p' });
    expect(secretOf(aws({ awsAuth: 'profile' }), false)).toEqual({});
  });

  it('sends only the fields of the kind, trimmed, and no secret', () => {
    const f = fieldsOf(aws({ name: ' acct ', sharedProfile: 'ignored', host: 'ignored' }));
    expect(f).toEqual({ id: '', name: 'acct', kind: 'aws', partition: 'aws', region: 'us-east-1', accessKeyId: goodKey, roleArn: '', externalId: '', testBucket: '' });
    expect(JSON.stringify(f)).not.toContain(goodSecret);
    expect(fieldsOf(aws({ awsAuth: 'profile', sharedProfile: 'dev' }))).not.toHaveProperty('accessKeyId');
    expect(fieldsOf(reg())).toEqual({ id: '', name: 'r', kind: 'registry', host: 'registry.example.com:5000', username: 'u', insecureHttp: false, caFile: '' });
  });
});

describe('helpers', () => {
  it('accepts hosts, IPs and ports', () => {
    for (const h of ['docker.io', '127.0.0.1:5000', '[::1]:5000', 'my-registry.example.com:443']) expect(hostProblem(h)).toBeUndefined();
    expect(hostProblem('under_score.local')).toMatch(/letters, digits, hyphens and dots/);
  });

  it('turns Go field messages into sentences', () => {
    expect(draftErrorsOf([{ field: 'name', message: 'another profile is already called "x"; choose a different name' }])).toEqual({
      name: 'Another profile is already called "x"; choose a different name.',
    });
  });
});
