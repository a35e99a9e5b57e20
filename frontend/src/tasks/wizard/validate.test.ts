import { describe, expect, it } from 'vitest';
import type { CredentialProfile } from '../../api/backend';
import { newDraft, toDefinition, type Draft } from './draft';
import {
  parseDuration,
  parseSize,
  validateBucket,
  validateCron,
  validateDraft,
  validateGlob,
  validatePlatform,
  validateReference,
  validateRegion,
  type ValidationContext,
} from './validate';

const profile = (p: Partial<CredentialProfile> & Pick<CredentialProfile, 'id' | 'name' | 'kind'>): CredentialProfile => ({
  secretSet: true,
  createdAt: '',
  updatedAt: '',
  ...p,
});

const profiles: CredentialProfile[] = [
  profile({ id: 'aws', name: 'Prod', kind: 'aws', partition: 'aws', region: 'eu-west-1' }),
  profile({ id: 'cn', name: 'China', kind: 'aws', partition: 'aws-cn', region: 'cn-north-1' }),
  profile({ id: 'gw', name: 'Gateway', kind: 's3compat', endpoint: 'http://127.0.0.1:7070' }),
  profile({ id: 'reg', name: 'Registry', kind: 'registry', host: 'reg.example.com:5000' }),
];

const ctx: ValidationContext = {
  profiles,
  regions: { aws: ['us-east-1', 'eu-west-1'], 'aws-cn': ['cn-north-1', 'cn-northwest-1'], 'aws-us-gov': ['us-gov-west-1'] },
  minConcurrency: 1,
  maxConcurrency: 256,
  maxNameLength: 128,
  taskNames: ['Existing'],
};

function s3Draft(edit: (d: Draft) => void = () => undefined): Draft {
  const d = newDraft(null);
  d.name = 'backup';
  d.s3.source = { kind: 'local', profileId: '', bucket: '', prefix: '', region: '', path: '/data' };
  d.s3.destination = { kind: 's3', profileId: 'gw', bucket: 'dest-bucket', prefix: 'copies/', region: '', path: '' };
  edit(d);
  return d;
}

function imageDraft(edit: (d: Draft) => void = () => undefined): Draft {
  const d = newDraft(null);
  d.type = 'IMAGE';
  d.name = 'mirror';
  d.image.sourceProfileId = 'reg';
  d.image.references = 'team/app:v1\nteam/db:ALL_TAGS';
  d.image.destRegistry = 'mirror.example.com';
  edit(d);
  return d;
}

describe('field rules', () => {
  it('checks bucket names like S3', () => {
    expect(validateBucket('', 'source')).toBe('enter the source bucket name');
    expect(validateBucket('ab', 'x')).toContain('3 to 63');
    expect(validateBucket('My_Bucket', 'x')).toContain('lowercase');
    expect(validateBucket('a..b', 'x')).toContain('adjacent dots');
    expect(validateBucket('10.0.0.1', 'x')).toContain('IP address');
    expect(validateBucket('photos-2024.eu', 'x')).toBe('');
  });

  it('checks regions against the profile partition', () => {
    expect(validateRegion('eu-west-1', 'aws', ctx.regions)).toBe('');
    expect(validateRegion('cn-north-1', 'aws', ctx.regions)).toContain('aws-cn partition');
    expect(validateRegion('us-east-1', 'aws-cn', ctx.regions)).toContain('cn-north-1, cn-northwest-1');
    expect(validateRegion('useast1', 'aws', ctx.regions)).toContain('not a region name');
    expect(validateRegion('us-gov-west-1', 'aws-us-gov', ctx.regions)).toBe('');
  });

  it('checks globs, sizes, durations and cron', () => {
    expect(validateGlob('*.jpg')).toBe('');
    expect(validateGlob('[abc')).toContain('unclosed [');
    expect(validateGlob('tmp\\')).toContain('trailing backslash');
    expect(parseSize('10MiB')).toBe(10 * 1024 * 1024);
    expect(parseSize('1.5 GB')).toBe(1.5e9);
    expect(parseSize('ten')).toBeUndefined();
    expect(parseDuration('1h30m')).toBe(90 * 60000);
    expect(parseDuration('daily')).toBeUndefined();
    expect(validateCron('0 2 * * *')).toBe('');
    expect(validateCron('*/15 9-17 * * mon-fri')).toBe('');
    expect(validateCron('@daily')).toBe('');
    expect(validateCron('61 * * * *')).toContain('outside 0-59');
    expect(validateCron('0 2 * *')).toContain('needs 5 fields');
  });

  it('checks image references and platforms', () => {
    expect(validateReference('team/app:v1', 'reg.example.com:5000')).toBe('');
    expect(validateReference('other.io/team/app:v1', 'reg.example.com:5000')).toContain('give the repository path only');
    expect(validateReference('Team/App', '')).toContain('invalid source reference');
    expect(validateReference('https://r.io/a:b', '')).toContain('without a scheme');
    expect(validateReference('r.io/a@sha256:12', '')).toContain('sha256:<64 hex>');
    expect(validateReference(`r.io/a@sha256:${'a'.repeat(64)}`, '')).toBe('');
    expect(validatePlatform('linux/arm64/v8')).toBe('');
    expect(validatePlatform('amd64')).toContain('os/arch');
    expect(validatePlatform('linx/amd64')).toContain('unknown operating system "linx"');
    expect(validatePlatform('linux/amd46')).toContain('unknown architecture "amd46"');
  });
});

describe('validateDraft', () => {
  it('accepts complete drafts', () => {
    expect(validateDraft(s3Draft(), ctx)).toEqual({});
    expect(validateDraft(imageDraft(), ctx)).toEqual({});
  });

  it('names every S3 field with a specific message', () => {
    const cases: [string, (d: Draft) => void, string][] = [
      ['name', (d) => (d.name = ' '), 'enter a name'],
      ['name', (d) => (d.name = 'existing'), 'already exists'],
      ['name', (d) => (d.name = 'x'.repeat(129)), 'at most 128'],
      ['s3.source.path', (d) => (d.s3.source.path = 'data'), 'relative path'],
      ['s3.source.path', (d) => (d.s3.source.path = ''), 'enter the source folder'],
      ['s3.destination.profileId', (d) => (d.s3.destination.profileId = ''), 'choose the credentials'],
      ['s3.destination.profileId', (d) => (d.s3.destination.profileId = 'reg'), 'container registry profile'],
      ['s3.destination.profileId', (d) => (d.s3.destination.profileId = 'deleted'), 'no longer exists'],
      ['s3.destination.bucket', (d) => (d.s3.destination.bucket = 'BAD'), 'lowercase'],
      ['s3.destination.region', (d) => Object.assign(d.s3.destination, { profileId: 'cn', region: 'eu-west-1' }), 'aws partition'],
      ['s3.destination.region', (d) => (d.s3.destination.region = 'Not A Region'), 'not a region name'],
      ['s3.prefixes', (d) => (d.s3.prefixes = 'ok/\n/abs/'), 'line 2 ("/abs/") starts with "/"'],
      ['s3.include', (d) => (d.s3.include = '*.jpg\n[x'), 'unclosed ['],
      ['s3.exclude', (d) => (d.s3.exclude = 'a\\'), 'trailing backslash'],
      ['s3.minSize', (d) => (d.s3.minSize = 'lots'), 'not a size'],
      ['s3.maxSize', (d) => Object.assign(d.s3, { minSize: '2MB', maxSize: '1MB' }), 'below the smallest'],
      ['s3.modifiedAfter', (d) => (d.s3.modifiedAfter = '01/02/2024'), 'YYYY-MM-DD'],
      ['s3.modifiedBefore', (d) => Object.assign(d.s3, { modifiedAfter: '2024-05-02', modifiedBefore: '2024-05-01' }), 'not after'],
      ['s3.concurrency', (d) => (d.s3.concurrency = '0'), 'from 1 to 256'],
      ['s3.concurrency', (d) => (d.s3.concurrency = 'fast'), 'from 1 to 256'],
      ['s3.sseKmsKeyId', (d) => (d.s3.sseKmsKeyId = 'alias/k'), 'only with aws:kms'],
      ['schedule.every', (d) => Object.assign(d.schedule, { kind: 'interval', every: '30s' }), 'at least 1m0s'],
      ['schedule.every', (d) => Object.assign(d.schedule, { kind: 'interval', every: 'hourly' }), 'not a duration'],
      ['schedule.cron', (d) => Object.assign(d.schedule, { kind: 'cron', cron: 'every day' }), 'not a cron expression'],
    ];
    for (const [field, edit, message] of cases) {
      const errs = validateDraft(s3Draft(edit), ctx);
      expect(errs[field], `${field}: ${JSON.stringify(errs)}`).toContain(message);
    }
  });

  it('rejects a destination overlapping the source', () => {
    const errs = validateDraft(
      s3Draft((d) => {
        d.s3.source = { kind: 's3', profileId: 'gw', bucket: 'dest-bucket', prefix: 'copies/2024/', region: '', path: '' };
      }),
      ctx,
    );
    expect(errs['s3.destination.prefix']).toContain('overlaps the source');
  });

  it('names every image field with a specific message', () => {
    const cases: [string, (d: Draft) => void, string][] = [
      ['image.source.references', (d) => (d.image.references = ''), 'at least one image reference'],
      ['image.source.references', (d) => (d.image.references = 'r.io/team/app:v1'), 'repository path only'],
      ['image.source.profileId', (d) => (d.image.sourceProfileId = 'aws'), 'not a container registry profile'],
      ['image.source.profileId', (d) => Object.assign(d.image, { sourceKind: 'ecr', sourceProfileId: '' }), 'AWS credentials'],
      ['image.source.region', (d) => Object.assign(d.image, { sourceKind: 'ecr', sourceProfileId: 'aws', sourceRegion: 'cn-north-1' }), 'aws-cn partition'],
      ['image.source.account', (d) => Object.assign(d.image, { sourceKind: 'ecr', sourceProfileId: 'aws', sourceAccount: '12' }), '12 digits'],
      ['image.destination.registry', (d) => (d.image.destRegistry = ''), 'enter its host'],
      ['image.destination.registry', (d) => (d.image.destRegistry = 'bad host'), 'not a registry host'],
      ['image.destination.prefix', (d) => (d.image.destPrefix = 'Upper'), 'not a repository prefix'],
      ['image.tagInclude', (d) => (d.image.tagInclude = 'v[0-9'), 'not a regular expression'],
      ['image.semver', (d) => (d.image.semver = 'newest'), 'not a version range'],
      ['image.latest', (d) => (d.image.latest = '-1'), 'out of range'],
      ['image.platforms', (d) => (d.image.platforms = 'linux/amd64\nlinux/amd64'), 'listed twice'],
      ['image.platforms', (d) => (d.image.platforms = 'arm64'), 'os/arch'],
      ['image.concurrency', (d) => (d.image.concurrency = '999'), 'from 1 to 256'],
    ];
    for (const [field, edit, message] of cases) {
      const errs = validateDraft(imageDraft(edit), ctx);
      expect(errs[field], `${field}: ${JSON.stringify(errs)}`).toContain(message);
    }
  });
});

describe('toDefinition', () => {
  it('builds the versioned S3 definition from what was typed', () => {
    const def = toDefinition(
      s3Draft((d) => {
        d.s3.include = ' *.jpg \n\n*.png';
        d.s3.prefixes = 'a b/\n\n';
        d.s3.concurrency = '32';
        d.s3.storageClass = 'STANDARD_IA';
        d.schedule = { kind: 'interval', every: ' 6h ', cron: '' };
      }),
    );
    expect(def.v).toBe(1);
    expect(def.s3?.source).toEqual({ kind: 'local', path: '/data' });
    expect(def.s3?.destination).toEqual({ kind: 's3', profileId: 'gw', bucket: 'dest-bucket', prefix: 'copies/' });
    expect(def.s3?.include).toEqual(['*.jpg', '*.png']);
    expect(def.s3?.prefixes).toEqual(['a b/']);
    expect(def.s3?.concurrency).toBe(32);
    expect(def.s3?.storageClass).toBe('STANDARD_IA');
    expect(def.schedule).toEqual({ kind: 'interval', every: '6h' });
    expect(def.image).toBeUndefined();
  });

  it('builds the image definition', () => {
    const def = toDefinition(imageDraft((d) => (d.image.platforms = 'linux/amd64\nlinux/arm64')));
    expect(def.image?.source).toEqual({ kind: 'registry', profileId: 'reg', references: ['team/app:v1', 'team/db:ALL_TAGS'] });
    expect(def.image?.destination).toEqual({ kind: 'registry', profileId: '', registry: 'mirror.example.com', prefix: '' });
    expect(def.image?.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(def.image?.referrers).toBe(true);
    expect(def.s3).toBeUndefined();
  });
});
