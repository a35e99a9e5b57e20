// Inline validation of the wizard, field by field, with the same rules and messages as
// backend/tasks (which checks again when the task is created). Each function returns the
// message to show, or '' when the value is fine.
import type { CredentialProfile } from '../../api/backend';
import { lines, type Draft, type LocationDraft } from './draft';

export type Errors = Record<string, string>;

export interface ValidationContext {
  profiles: CredentialProfile[];
  /** Known regions per partition (from the credentials form options). */
  regions: Record<string, string[]>;
  minConcurrency: number;
  maxConcurrency: number;
  maxNameLength: number;
  /** Names of the existing tasks (names are unique). */
  taskNames: string[];
}

/** The characters (code points) of s, as Go counts runes. */
function codePoints(s: string): string[] {
  const out: string[] = [];
  for (const ch of s) out.push(ch);
  return out;
}

export function validateName(name: string, ctx: Pick<ValidationContext, 'maxNameLength' | 'taskNames'>): string {
  const n = name.trim();
  if (n === '') return 'enter a name for the task';
  const length = codePoints(n).length;
  if (length > ctx.maxNameLength) return `${length} characters is too long; use at most ${ctx.maxNameLength}`;
  if (/[\t\r\n\0]/.test(n)) return 'use a single line without tabs';
  const dup = ctx.taskNames.find((t) => t.toLowerCase() === n.toLowerCase());
  if (dup !== undefined) return `a task called "${dup}" already exists; choose another name`;
  return '';
}

const bucketRE = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const ipRE = /^\d+\.\d+\.\d+\.\d+$/;

/** S3 bucket naming rules (objstore.ValidateBucket). */
export function validateBucket(name: string, what: string): string {
  if (name === '') return `enter the ${what} bucket name`;
  if (name.length < 3 || name.length > 63) return 'it must be 3 to 63 characters long';
  if (!bucketRE.test(name)) return 'use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';
  if (name.includes('..')) return 'no two adjacent dots';
  if (ipRE.test(name)) return 'it must not look like an IP address';
  return '';
}

const regionShapeRE = /^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$/;

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso')) return 'aws-iso';
  return 'aws';
}

/** An AWS region of the profile's partition. */
export function validateRegion(region: string, partition: string, regions: Record<string, string[]>): string {
  const part = partition || 'aws';
  if (!regionShapeRE.test(region)) return `"${region}" is not a region name: use the form us-east-1`;
  const got = partitionOf(region);
  if (got !== part) {
    return `${region} is a region of the ${got} partition, but the profile is for ${part}: choose one of ${(regions[part] ?? []).join(', ')}`;
  }
  return '';
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

/** Errors of one S3 side, keyed by field path. */
export function validateLocation(side: 'source' | 'destination', l: LocationDraft, ctx: ValidationContext): Errors {
  const f = `s3.${side}`;
  const errs: Errors = {};
  if (l.kind === 'local') {
    const p = l.path.trim();
    if (p === '') errs[`${f}.path`] = `enter the ${side} folder`;
    else if (!isAbsolute(p)) errs[`${f}.path`] = `"${p}" is a relative path; enter a full path such as /home/you/data`;
    return errs;
  }
  const profile = ctx.profiles.find((p) => p.id === l.profileId);
  if (!l.profileId) errs[`${f}.profileId`] = `choose the credentials for the ${side} bucket`;
  else if (!profile) errs[`${f}.profileId`] = `the credential profile for the ${side} no longer exists; choose another one or add it under Credentials`;
  else if (profile.kind === 'registry') errs[`${f}.profileId`] = `"${profile.name}" is a container registry profile; choose an AWS or S3-compatible profile`;
  const bucket = validateBucket(l.bucket.trim(), side);
  if (bucket) errs[`${f}.bucket`] = bucket;
  if (new TextEncoder().encode(l.prefix).length > 1024) errs[`${f}.prefix`] = 'the prefix is longer than 1024 bytes, the longest S3 key';
  const region = l.region.trim();
  if (profile?.kind === 'aws') {
    const r = region || profile.region || '';
    if (r === '') errs[`${f}.region`] = `the profile "${profile.name}" has no default region; choose the bucket's region`;
    else {
      const msg = validateRegion(r, profile.partition ?? 'aws', ctx.regions);
      if (msg) errs[`${f}.region`] = msg;
    }
  } else if (region && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(region)) {
    errs[`${f}.region`] = `"${region}" is not a region name: use lowercase letters, digits and hyphens`;
  }
  return errs;
}

/** s3sync.Glob's rules: no unclosed [ and no trailing backslash. */
export function validateGlob(pattern: string): string {
  const rs = codePoints(pattern);
  for (let i = 0; i < rs.length; i++) {
    const c = rs[i];
    if (c === '[') {
      let j = i + 1;
      if (rs[j] === '!' || rs[j] === '^') j++;
      if (rs[j] === ']') j++;
      while (j < rs.length && rs[j] !== ']') j++;
      if (j >= rs.length) return `glob "${pattern}": unclosed [`;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= rs.length) return `glob "${pattern}": trailing backslash`;
      i++;
    }
  }
  return '';
}

const sizeRE = /^\s*(\d+(\.\d+)?)\s*([kmgtpe]i?b?|b|bytes?)?\s*$/i;

export function parseSize(text: string): number | undefined {
  const m = sizeRE.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[3] ?? 'b').toLowerCase();
  const power = 'bkmgtpe'.indexOf(unit[0] ?? 'b');
  const base = unit.includes('i') ? 1024 : 1000;
  return Math.round(n * base ** Math.max(power, 0));
}

export function validateSize(text: string): string {
  if (text.trim() === '') return '';
  return parseSize(text) === undefined ? `"${text}" is not a size; write a number with a unit, e.g. 512KiB, 10MB or 5GiB` : '';
}

const dateRE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/;

export function parseDate(text: string): number | undefined {
  const t = text.trim();
  if (!dateRE.test(t)) return undefined;
  const ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t);
  return Number.isNaN(ms) ? undefined : ms;
}

export function validateDate(text: string): string {
  if (text.trim() === '') return '';
  return parseDate(text) === undefined ? `"${text.trim()}" is not a date; use YYYY-MM-DD or 2024-05-01T12:00:00Z` : '';
}

export function validateConcurrency(text: string, min: number, max: number): string {
  const t = text.trim();
  if (t === '') return '';
  if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) {
    return `${t} is out of range; enter a whole number from ${min} to ${max}`;
  }
  return '';
}

// Go's time.ParseDuration units.
const durationRE = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!durationRE.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(m[1]) * (unitMs[m[2] ?? 's'] ?? 0);
  }
  return total;
}

const cronRanges: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const cronNames = [null, null, null, /^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)$/i, /^(sun|mon|tue|wed|thu|fri|sat)$/i];

/** A 5-field cron expression (minute hour day-of-month month day-of-week) or a descriptor. */
export function validateCron(expr: string): string {
  const e = expr.trim().replace(/\s+/g, ' ');
  if (e === '') return 'enter a cron expression, e.g. 0 2 * * * (every day at 02:00)';
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(e)) return '';
  const fields = e.split(' ');
  const bad = `"${e}" is not a cron expression (minute hour day-of-month month day-of-week)`;
  if (fields.length !== 5) return `${bad}: it needs 5 fields, it has ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    const [lo, hi] = cronRanges[i] ?? [0, 0];
    for (const part of (fields[i] ?? '').split(',')) {
      const [range = '', step] = part.split('/');
      if (step !== undefined && !/^\d+$/.test(step)) return `${bad}: bad step "${step}"`;
      if (range === '*' || range === '?') continue;
      for (const v of range.split('-')) {
        const named = cronNames[i]?.test(v) ?? false;
        if (named) continue;
        if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) return `${bad}: "${v}" is outside ${lo}-${hi}`;
      }
    }
  }
  return '';
}

const refRE =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]+)?$/;
const digestRE = /@(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

function looksLikeHost(s: string): boolean {
  return s.includes('.') || s.includes(':') || s === 'localhost';
}

/** An image reference; with a registry (a profile's host or ECR) it must be a repository path only. */
export function validateReference(ref: string, registry: string): string {
  if (ref.includes('://')) return `invalid source reference "${ref}": give registry/repository:tag without a scheme`;
  const first = ref.split('/')[0] ?? '';
  if (registry && ref.includes('/') && looksLikeHost(first)) {
    return `"${ref}" names a registry host; the registry is ${registry}, so give the repository path only, e.g. team/app:v1`;
  }
  if (!refRE.test(ref)) {
    return `invalid source reference "${ref}" (expected registry/repository:tag, registry/repository@sha256:<hex> or registry/repository:ALL_TAGS)`;
  }
  if (ref.includes('@') && !digestRE.test(ref)) return `invalid source reference "${ref}": digest must be sha256:<64 hex> or sha512:<128 hex>`;
  if (ref.includes(':ALL_TAGS@')) return `invalid source reference "${ref}": ALL_TAGS cannot be combined with a digest`;
  return '';
}

const knownOS = ['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'plan9', 'android', 'ios', 'js', 'wasip1'];
const knownArch = ['amd64', 'arm64', 'arm', '386', 'ppc64le', 'ppc64', 's390x', 'riscv64', 'mips64le', 'mips64', 'mipsle', 'mips', 'loong64', 'wasm'];

export function validatePlatform(p: string): string {
  const parts = p.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => x === '')) {
    return `"${p}" is not a platform; write os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`;
  }
  if (!knownOS.includes(parts[0] ?? '')) return `"${p}": unknown operating system "${parts[0] ?? ''}"; use e.g. linux or windows`;
  if (!knownArch.includes(parts[1] ?? '')) {
    return `"${p}": unknown architecture "${parts[1] ?? ''}"; use e.g. amd64, arm64, arm, 386, ppc64le, s390x`;
  }
  return '';
}

export function validateRegex(pattern: string): string {
  try {
    new RegExp(`^(?:${pattern})$`);
    return '';
  } catch {
    return `"${pattern}" is not a regular expression`;
  }
}

const semverRE = /^\s*([<>=!~^]*\s*v?\d+(\.(\d+|x|\*))?(\.(\d+|x|\*))?(-[\w.]+)?\s*)([,|\s]+\s*[<>=!~^]*\s*v?\d+(\.(\d+|x|\*))?(\.(\d+|x|\*))?(-[\w.]+)?\s*)*$/;

const hostRE = /^[a-zA-Z0-9.-]+(:\d{1,5})?$/;
const accountRE = /^\d{12}$/;

function first(...msgs: string[]): string {
  return msgs.find((m) => m !== '') ?? '';
}

/** Every field error of the draft, keyed by Go field path. */
export function validateDraft(d: Draft, ctx: ValidationContext): Errors {
  const errs: Errors = {};
  const set = (field: string, msg: string) => {
    if (msg) errs[field] = msg;
  };
  set('name', validateName(d.name, ctx));
  const s = d.schedule;
  if (s.kind === 'interval') {
    const ms = parseDuration(s.every);
    if (s.every.trim() === '') set('schedule.every', 'enter how often the task runs, e.g. 30m, 6h or 24h');
    else if (ms === undefined) set('schedule.every', `"${s.every.trim()}" is not a duration; write e.g. 30m, 6h or 24h`);
    else if (ms < 60000) set('schedule.every', `${s.every.trim()} is too often; runs must be at least 1m0s apart`);
  }
  if (s.kind === 'cron') set('schedule.cron', validateCron(s.cron));

  if (d.type === 'S3') {
    const o = d.s3;
    Object.assign(errs, validateLocation('source', o.source, ctx), validateLocation('destination', o.destination, ctx));
    if (o.source.kind === 's3' && o.destination.kind === 's3' && !errs['s3.destination.bucket']) {
      const a = o.source;
      const b = o.destination;
      if (a.profileId === b.profileId && a.bucket.trim() === b.bucket.trim() && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix))) {
        set('s3.destination.prefix', 'the destination overlaps the source (same bucket, one prefix contains the other): a sync would read its own output');
      }
    }
    lines(o.prefixes, false).forEach((p, i) => {
      if (p.startsWith('/')) set('s3.prefixes', `line ${i + 1} ("${p}") starts with "/"; prefixes are relative to the source, e.g. photos/2024/`);
    });
    for (const g of lines(o.include)) set('s3.include', errs['s3.include'] ?? validateGlob(g));
    for (const g of lines(o.exclude)) set('s3.exclude', errs['s3.exclude'] ?? validateGlob(g));
    set('s3.minSize', validateSize(o.minSize));
    set('s3.maxSize', validateSize(o.maxSize));
    const min = parseSize(o.minSize);
    const max = parseSize(o.maxSize);
    if (!errs['s3.maxSize'] && o.minSize.trim() && o.maxSize.trim() && min !== undefined && max !== undefined && max > 0 && min > max) {
      set('s3.maxSize', `the largest size (${o.maxSize.trim()}) is below the smallest (${o.minSize.trim()})`);
    }
    set('s3.modifiedAfter', validateDate(o.modifiedAfter));
    set('s3.modifiedBefore', validateDate(o.modifiedBefore));
    const after = parseDate(o.modifiedAfter);
    const before = parseDate(o.modifiedBefore);
    if (after !== undefined && before !== undefined && after >= before) {
      set('s3.modifiedBefore', `${o.modifiedBefore.trim()} is not after ${o.modifiedAfter.trim()}; no object could match`);
    }
    set('s3.concurrency', validateConcurrency(o.concurrency, ctx.minConcurrency, ctx.maxConcurrency));
    if (o.destination.kind === 's3') {
      if (o.sseKmsKeyId.trim() && o.sse !== 'aws:kms') set('s3.sseKmsKeyId', 'a KMS key applies only with aws:kms encryption');
    }
    return errs;
  }

  const im = d.image;
  const srcProfile = ctx.profiles.find((p) => p.id === im.sourceProfileId);
  const refs = lines(im.references);
  if (im.sourceKind === 'registry') {
    if (im.sourceProfileId && srcProfile && srcProfile.kind !== 'registry') {
      set('image.source.profileId', `"${srcProfile.name}" is not a container registry profile; choose a registry profile, or none for public images`);
    }
    const host = srcProfile?.kind === 'registry' ? (srcProfile.host ?? '') : '';
    if (refs.length === 0) set('image.source.references', `enter at least one image reference, e.g. ${host ? 'team/app:v1' : 'registry.example.com/team/app:v1'}`);
    for (const r of refs) set('image.source.references', errs['image.source.references'] ?? validateReference(r, host));
  } else {
    if (!im.sourceProfileId) set('image.source.profileId', 'choose the AWS credentials for the source Amazon ECR');
    else if (srcProfile && srcProfile.kind !== 'aws') set('image.source.profileId', `"${srcProfile.name}" is not an AWS profile; Amazon ECR needs AWS credentials`);
    const region = im.sourceRegion.trim() || srcProfile?.region || '';
    if (srcProfile?.kind === 'aws') {
      if (!region) set('image.source.region', 'choose the ECR region');
      else set('image.source.region', validateRegion(region, srcProfile.partition ?? 'aws', ctx.regions));
    }
    if (im.sourceAccount.trim() && !accountRE.test(im.sourceAccount.trim())) set('image.source.account', `"${im.sourceAccount.trim()}" is not an AWS account id: it is 12 digits`);
    for (const r of refs) set('image.source.references', errs['image.source.references'] ?? validateReference(r, 'the ECR registry'));
    if (im.repoRegex.trim()) set('image.source.repoRegex', validateRegex(im.repoRegex.trim()) ? 'not a regular expression' : '');
  }
  const dstProfile = ctx.profiles.find((p) => p.id === im.destProfileId);
  if (im.destKind === 'registry') {
    if (im.destProfileId && dstProfile && dstProfile.kind !== 'registry') {
      set('image.destination.profileId', `"${dstProfile.name}" is not a container registry profile; choose a registry profile`);
    }
    if (!im.destProfileId) {
      const h = im.destRegistry.trim();
      if (!h) set('image.destination.registry', "choose the destination registry's credentials, or enter its host (e.g. registry.example.com:5000)");
      else if (!hostRE.test(h)) set('image.destination.registry', `"${h}" is not a registry host; write host or host:port`);
    }
  } else {
    if (!im.destProfileId) set('image.destination.profileId', 'choose the AWS credentials for the destination Amazon ECR');
    else if (dstProfile && dstProfile.kind !== 'aws') set('image.destination.profileId', `"${dstProfile.name}" is not an AWS profile; Amazon ECR needs AWS credentials`);
    const region = im.destRegion.trim() || dstProfile?.region || '';
    if (dstProfile?.kind === 'aws') {
      if (!region) set('image.destination.region', 'choose the ECR region');
      else set('image.destination.region', validateRegion(region, dstProfile.partition ?? 'aws', ctx.regions));
    }
    if (im.destAccount.trim() && !accountRE.test(im.destAccount.trim())) set('image.destination.account', `"${im.destAccount.trim()}" is not an AWS account id: it is 12 digits`);
  }
  const prefix = im.destPrefix.trim().replace(/^\/+|\/+$/g, '');
  if (prefix && !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(prefix)) {
    set('image.destination.prefix', `"${prefix}" is not a repository prefix: use lowercase letters, digits, and . _ - / between them`);
  }
  for (const p of lines(im.tagInclude)) set('image.tagInclude', errs['image.tagInclude'] ?? validateRegex(p));
  for (const p of lines(im.tagExclude)) set('image.tagExclude', errs['image.tagExclude'] ?? validateRegex(p));
  if (im.semver.trim() && !semverRE.test(im.semver.trim())) set('image.semver', `"${im.semver.trim()}" is not a version range; write e.g. >=1.2, <2 or ~1.4`);
  const latest = im.latest.trim();
  if (latest && (!/^\d+$/.test(latest) || Number(latest) > 10000)) set('image.latest', `${latest} is out of range; enter 0 (all tags) to 10000`);
  const seen = new Set<string>();
  for (const p of lines(im.platforms)) {
    set('image.platforms', errs['image.platforms'] ?? first(validatePlatform(p), seen.has(p) ? `${p} is listed twice` : ''));
    seen.add(p);
  }
  set('image.concurrency', validateConcurrency(im.concurrency, ctx.minConcurrency, ctx.maxConcurrency));
  return errs;
}
