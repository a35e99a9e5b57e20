// The credentials form's state and its checks. The Go side validates again and has the
// last word (its field errors land on the same fields); these checks answer at once and
// catch the common slips before a round trip.
import type {
  CredentialFields,
  CredentialFormOptions,
  CredentialKind,
  CredentialProfile,
  CredentialSecret,
} from '../api/backend';

export type AwsAuth = 'keys' | 'profile';

export interface Draft {
  id: string;
  name: string;
  kind: CredentialKind;
  // aws
  partition: string;
  awsAuth: AwsAuth;
  sharedProfile: string;
  roleArn: string;
  externalId: string;
  // aws + s3compat
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  testBucket: string;
  // s3compat
  provider: string;
  endpoint: string;
  pathStyle: boolean;
  // registry
  host: string;
  username: string;
  password: string;
  insecureHttp: boolean;
  caFile: string;
}

export type DraftField = Exclude<keyof Draft, 'id' | 'awsAuth' | 'pathStyle' | 'insecureHttp'>;
export type DraftErrors = Partial<Record<DraftField, string>>;

export function emptyDraft(kind: CredentialKind = 's3compat'): Draft {
  return {
    id: '',
    name: '',
    kind,
    partition: 'aws',
    awsAuth: 'keys',
    sharedProfile: '',
    roleArn: '',
    externalId: '',
    region: kind === 'aws' ? 'us-east-1' : '',
    accessKeyId: '',
    secretAccessKey: '',
    sessionToken: '',
    testBucket: '',
    provider: kind === 's3compat' ? 'other' : '',
    endpoint: '',
    pathStyle: false,
    host: '',
    username: '',
    password: '',
    insecureHttp: false,
    caFile: '',
  };
}

/** The form's starting point for an edit: every setting, no secret (the UI never has it). */
export function draftOf(p: CredentialProfile): Draft {
  return {
    ...emptyDraft(p.kind),
    id: p.id,
    name: p.name,
    kind: p.kind,
    partition: p.partition || 'aws',
    awsAuth: p.sharedProfile ? 'profile' : 'keys',
    sharedProfile: p.sharedProfile ?? '',
    roleArn: p.roleArn ?? '',
    externalId: p.externalId ?? '',
    region: p.region ?? '',
    accessKeyId: p.accessKeyId ?? '',
    testBucket: p.testBucket ?? '',
    provider: p.provider ?? '',
    endpoint: p.endpoint ?? '',
    pathStyle: p.pathStyle ?? false,
    host: p.host ?? '',
    username: p.username ?? '',
    insecureHttp: p.insecureHttp ?? false,
    caFile: p.caFile ?? '',
  };
}

/** The settings to save: only the fields of the draft's kind. */
export function fieldsOf(d: Draft): CredentialFields {
  const base = { id: d.id, name: d.name.trim(), kind: d.kind };
  switch (d.kind) {
    case 'aws':
      return {
        ...base,
        partition: d.partition,
        region: d.region.trim(),
        ...(d.awsAuth === 'profile' ? { sharedProfile: d.sharedProfile.trim() } : { accessKeyId: d.accessKeyId.trim() }),
        roleArn: d.roleArn.trim(),
        externalId: d.externalId.trim(),
        testBucket: d.testBucket.trim(),
      };
    case 's3compat':
      return {
        ...base,
        provider: d.provider,
        endpoint: d.endpoint.trim(),
        region: d.region.trim(),
        accessKeyId: d.accessKeyId.trim(),
        pathStyle: d.pathStyle,
        testBucket: d.testBucket.trim(),
      };
    case 'registry':
      return { ...base, host: d.host.trim(), username: d.username.trim(), insecureHttp: d.insecureHttp, caFile: d.caFile.trim() };
  }
}

/** Whether the draft's kind and mode keep a secret in the keychain at all. */
export function needsSecret(d: Draft): boolean {
  return !(d.kind === 'aws' && d.awsAuth === 'profile');
}

/**
 * The secret to send: a new profile always sends what was typed; an edit sends null
 * (keep the stored secret) unless a secret field was typed into.
 */
export function secretOf(d: Draft, editing: boolean): CredentialSecret | null {
  if (!needsSecret(d)) return editing ? null : {};
  const s: CredentialSecret =
    d.kind === 'registry' ? { password: d.password } : { secretAccessKey: d.secretAccessKey, sessionToken: d.sessionToken };
  const typed = d.kind === 'registry' ? d.password !== '' : d.secretAccessKey !== '' || d.sessionToken !== '';
  return editing && !typed ? null : s;
}

export interface ValidateContext {
  /** The profile being edited (undefined for a new one). */
  original?: CredentialProfile;
  /** Names of the other profiles. */
  otherNames: string[];
  options: CredentialFormOptions;
}

const accessKeyIdRe = /^(AKIA|ASIA)[A-Z0-9]{16}$/;
const secretKeyRe = /^[A-Za-z0-9/+]{40}$/;
const roleArnRe = /^arn:([a-z-]+):iam::([0-9]{12}):role\/[\w+=,.@/-]+$/;
const externalIdRe = /^[\w+=,.@:/-]{2,1224}$/;
const regionRe = /^[a-z0-9][a-z0-9-]{0,62}$/;
const hostLabelRe = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ipv4Re = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Describes what is wrong with an AWS access key ID, or undefined when it has the right shape. */
export function accessKeyIdProblem(id: string): string | undefined {
  if (id === '') return 'Enter the access key ID (it starts with AKIA or ASIA).';
  if (accessKeyIdRe.test(id)) return undefined;
  if (id.length !== 20) return `An access key ID is 20 characters, like AKIAIOSFODNN7EXAMPLE; this one has ${String(id.length)}.`;
  if (id.toUpperCase() !== id) return 'An access key ID has only uppercase letters and digits.';
  if (!id.startsWith('AKIA') && !id.startsWith('ASIA')) return 'An access key ID starts with AKIA (long-term keys) or ASIA (temporary keys).';
  return 'An access key ID has only uppercase letters and digits.';
}

/** Describes what is wrong with an endpoint URL, or undefined when it can be used. */
export function endpointProblem(raw: string): string | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  const withScheme = v.includes('://') ? v : `https://${v}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return 'Enter a URL such as https://s3.example.com or http://127.0.0.1:9000.';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'The endpoint must start with http:// or https://.';
  if (u.search !== '' || u.hash !== '') return 'An endpoint has no query (?) or fragment (#).';
  return undefined;
}

/** Describes what is wrong with a registry host[:port], or undefined when it is fine. */
export function hostProblem(raw: string): string | undefined {
  const h = raw.trim();
  if (h === '') return 'Enter the registry host, e.g. registry.example.com or 127.0.0.1:5000.';
  if (h.includes('://')) return 'Enter only the host and port, without http:// or https://.';
  if (/[/?#@\s]/.test(h)) return 'Enter only the host and optional port, no path, e.g. registry.example.com:5000.';
  const m = /^(\[[^\]]+\]|[^:]+)(?::(.*))?$/.exec(h);
  if (!m) return 'Enter the host and optional port, e.g. registry.example.com:5000.';
  const host = m[1] ?? h;
  const port = m[2] ?? '';
  if (m[2] !== undefined && port === '') return 'The port after the colon is missing.';
  if (port !== '' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return `Port ${port} is not a number from 1 to 65535.`;
  }
  if (host.startsWith('[') || ipv4Re.test(host)) return undefined;
  if (!host.split('.').every((l) => hostLabelRe.test(l))) {
    return 'Use letters, digits, hyphens and dots in the host name, e.g. registry.example.com.';
  }
  return undefined;
}

/** Describes what is wrong with a bucket name, or undefined. */
export function bucketProblem(name: string): string | undefined {
  if (name === '') return undefined;
  if (name.length < 3 || name.length > 63) return 'A bucket name is 3 to 63 characters long.';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'Use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.';
  }
  if (name.includes('..')) return 'A bucket name has no two adjacent dots.';
  if (ipv4Re.test(name)) return 'A bucket name must not look like an IP address.';
  return undefined;
}

/** Checks the draft; returns a message per invalid field (empty when all is fine). */
export function validateDraft(d: Draft, ctx: ValidateContext): DraftErrors {
  const e: DraftErrors = {};
  const name = d.name.trim();
  if (name === '') e.name = 'Enter a name for these credentials, e.g. "Production account".';
  else if (name.length > 64) e.name = `Use at most 64 characters; this name has ${String(name.length)}.`;
  else if (ctx.otherNames.some((n) => n.toLowerCase() === name.toLowerCase())) {
    e.name = 'Another profile already has this name; choose a different one.';
  }

  const editing = ctx.original !== undefined;
  const hadSecret = ctx.original?.secretSet ?? false;
  const typedSecret = d.secretAccessKey !== '' || d.sessionToken !== '';
  const keyChanged = editing && (ctx.original?.accessKeyId ?? '') !== d.accessKeyId.trim();
  const mustEnterKey = !editing || !hadSecret || keyChanged || (ctx.original?.sharedProfile ?? '') !== '';

  switch (d.kind) {
    case 'aws': {
      const regions = ctx.options.regions[d.partition] ?? [];
      if (d.region === '') e.region = 'Choose the default region.';
      else if (regions.length > 0 && !regions.includes(d.region)) e.region = `${d.region} is not a region of ${d.partition}; choose one from the list.`;
      if (d.awsAuth === 'profile') {
        if (d.sharedProfile.trim() === '') e.sharedProfile = 'Choose or type the name of an AWS CLI profile.';
        else if (/[\s[\]]/.test(d.sharedProfile.trim())) e.sharedProfile = 'A profile name has no spaces or brackets.';
      } else {
        const idProblem = accessKeyIdProblem(d.accessKeyId.trim());
        if (idProblem) e.accessKeyId = idProblem;
        const secret = d.secretAccessKey.trim();
        if (secret === '' && (mustEnterKey || typedSecret)) {
          e.secretAccessKey = keyChanged && hadSecret
            ? 'You changed the access key ID: enter the secret access key that belongs to it.'
            : 'Enter the secret access key.';
        } else if (secret !== '' && !secretKeyRe.test(secret)) {
          e.secretAccessKey =
            secret.length !== 40
              ? `A secret access key is 40 characters; this one has ${String(secret.length)}.`
              : 'A secret access key has only letters, digits, / and +.';
        }
        const temporary = d.accessKeyId.trim().startsWith('ASIA');
        if (temporary && secret !== '' && d.sessionToken.trim() === '') {
          e.sessionToken = 'Keys starting with ASIA are temporary: enter the session token that came with them.';
        }
        if (!temporary && d.sessionToken.trim() !== '') {
          e.sessionToken = 'Long-term keys (AKIA…) take no session token; clear it.';
        }
      }
      const arn = d.roleArn.trim();
      if (arn !== '') {
        const m = roleArnRe.exec(arn);
        if (!m) e.roleArn = 'A role ARN looks like arn:aws:iam::123456789012:role/RoleName.';
        else if (m[1] !== d.partition) e.roleArn = `The role is in the ${m[1] ?? ''} partition, but these credentials are for ${d.partition}.`;
      }
      const ext = d.externalId.trim();
      if (ext !== '' && arn === '') e.externalId = 'An external ID is only used when assuming a role: enter the role ARN or clear this.';
      else if (ext !== '' && !externalIdRe.test(ext)) e.externalId = 'Use 2 to 1224 letters, digits or +=,.@:/-_ characters, without spaces.';
      break;
    }
    case 's3compat': {
      const prov = ctx.options.providers.find((p) => p.name === d.provider);
      if (!prov) e.provider = 'Choose the provider, or "Other S3-compatible store".';
      const ep = endpointProblem(d.endpoint);
      if (ep) e.endpoint = ep;
      else if (prov?.needsEndpoint && d.endpoint.trim() === '') {
        e.endpoint = 'Enter the endpoint URL of your store, e.g. https://s3.example.com or http://127.0.0.1:9000.';
      }
      if (d.region.trim() !== '' && !regionRe.test(d.region.trim())) {
        e.region = 'Use lowercase letters, digits and hyphens, e.g. cn-hangzhou.';
      }
      if (d.accessKeyId.trim() === '') e.accessKeyId = 'Enter the access key ID your provider gave you.';
      else if (/\s/.test(d.accessKeyId.trim())) e.accessKeyId = 'An access key ID has no spaces.';
      if (d.secretAccessKey.trim() === '' && (mustEnterKey || typedSecret)) {
        e.secretAccessKey = keyChanged && hadSecret
          ? 'You changed the access key ID: enter the secret key that belongs to it.'
          : 'Enter the secret key.';
      } else if (/\s/.test(d.secretAccessKey.trim())) e.secretAccessKey = 'A secret key has no spaces; copy it again.';
      break;
    }
    case 'registry': {
      const hp = hostProblem(d.host);
      if (hp) e.host = hp;
      if (d.username.trim() === '') e.username = 'Enter the user name.';
      if (d.password === '' && (!editing || !hadSecret)) e.password = 'Enter the password or access token.';
      if (d.insecureHttp && d.caFile.trim() !== '') e.caFile = 'A CA file is for HTTPS; plain HTTP uses none. Clear one of them.';
      else if (d.caFile.trim() !== '' && !/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(d.caFile.trim())) {
        e.caFile = 'Enter the full path of the PEM file.';
      }
      break;
    }
  }
  if (d.kind !== 'registry') {
    const bp = bucketProblem(d.testBucket.trim());
    if (bp) e.testBucket = bp;
  }
  return e;
}

/** Maps the Go side's field names onto the form's (they are the same JSON names). */
export function draftErrorsOf(fieldErrors: { field: string; message: string }[]): DraftErrors {
  const out: DraftErrors = {};
  for (const fe of fieldErrors) {
    const key = fe.field as DraftField;
    // Go messages start lower-case as part of a sentence; the form shows them alone.
    out[key] = fe.message.charAt(0).toUpperCase() + fe.message.slice(1) + (/[.!?]$/.test(fe.message) ? '' : '.');
  }
  return out;
}
