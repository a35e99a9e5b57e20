import { describe, expect, it } from 'vitest';
import { errorsOf, newDraft, toDefinition, type Draft } from './draft';

/** The form offers concurrency up to 256: 257 is outside it. */
const offered = { maxConcurrency: 256 };

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

// The field rules and their messages are the Go side's: app/tasks_validate_test.go checks
// the cases this file checked while the wizard had its own copy of them.

describe('number fields', () => {
  it('carries what Go can judge and sends a value outside the offered range for what it cannot', () => {
    const s3 = (concurrency: string) => toDefinition(s3Draft((d) => (d.s3.concurrency = concurrency)), offered).s3?.concurrency;
    expect(s3('')).toBeUndefined();
    expect(s3(' 32 ')).toBe(32);
    expect(s3('999')).toBe(999);
    expect(s3('0')).toBe(257); // 0 would mean "the default"
    expect(s3('fast')).toBe(257);
    expect(s3('1.5')).toBe(257);
    expect(s3('99999999999999999999')).toBe(257);
    const latest = (text: string) => toDefinition(imageDraft((d) => (d.image.latest = text)), offered).image?.latest;
    expect(latest('0')).toBe(0); // all tags
    expect(latest('-3')).toBe(-3);
    expect(latest('abc')).toBe(-1); // below 0 (all tags)
    expect(toDefinition(imageDraft((d) => (d.image.concurrency = '0')), offered).image?.concurrency).toBe(257);
  });

  it("shows Go's message with the text that was typed", () => {
    const outOfRange = (n: string) => ({ field: 's3.concurrency', message: `${n} is out of range; enter a whole number from 1 to 256` });
    expect(errorsOf(s3Draft((d) => (d.s3.concurrency = '0')), offered, [outOfRange('257')])).toEqual({
      's3.concurrency': '0 is out of range; enter a whole number from 1 to 256',
    });
    expect(errorsOf(s3Draft((d) => (d.s3.concurrency = 'fast')), offered, [outOfRange('257')])['s3.concurrency']).toBe(
      'fast is out of range; enter a whole number from 1 to 256',
    );
    expect(errorsOf(s3Draft((d) => (d.s3.concurrency = '999')), offered, [outOfRange('999')])['s3.concurrency']).toBe(
      '999 is out of range; enter a whole number from 1 to 256',
    );
    expect(errorsOf(imageDraft((d) => (d.image.latest = '-1')), offered, [{ field: 'image.latest', message: '-1 is out of range; enter 0 (all tags) to 10000' }])).toEqual({
      'image.latest': '-1 is out of range; enter 0 (all tags) to 10000',
    });
  });

  it('keeps the first message of a field', () => {
    const errs = errorsOf(s3Draft(), offered, [
      { field: 's3.include', message: 'glob "[a": unclosed [' },
      { field: 's3.include', message: 'glob "[b": unclosed [' },
      { field: 'name', message: 'enter a name for the task' },
    ]);
    expect(errs).toEqual({ 's3.include': 'glob "[a": unclosed [', name: 'enter a name for the task' });
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
        d.schedule = { kind: 'interval', every: ' 6h ', cron: '', at: '' };
      }),
      offered,
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
    const def = toDefinition(imageDraft((d) => (d.image.platforms = 'linux/amd64\nlinux/arm64')), offered);
    expect(def.image?.source).toEqual({ kind: 'registry', profileId: 'reg', references: ['team/app:v1', 'team/db:ALL_TAGS'] });
    expect(def.image?.destination).toEqual({ kind: 'registry', profileId: '', registry: 'mirror.example.com', prefix: '' });
    expect(def.image?.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(def.image?.referrers).toBe(true);
    expect(def.s3).toBeUndefined();
  });
});
