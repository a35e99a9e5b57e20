// The wizard's form model: what the user types (strings), and its translation into the
// versioned task definition the Go side validates and stores.
import type { CloudOptionsDef } from '../../api/cloud';
import type { FieldError } from '../../api/models';
import type {
  ImageSideKind,
  LocationDef,
  LocationKind,
  ScheduleKind,
  TaskEngine,
  TaskDefinition,
  TaskFormOptions,
  TaskType,
} from '../../api/tasks';

export interface LocationDraft {
  kind: LocationKind;
  profileId: string;
  bucket: string;
  prefix: string;
  region: string;
  path: string;
}

/** Where a cloud task runs and how (its options in the definition's cloud). */
export interface CloudDraft {
  /** The AWS credential profile of the account; region '' is the profile's. */
  profileId: string;
  region: string;
  /** The control plane's name ('' is Go's default). */
  controlPlane: string;
  maxWorkers: string;
  /** The fleet's instance types, the first preferred ([] is the Graviton default). */
  instanceTypes: string[];
  spot: boolean;
  maxCopiers: string;
  alarmEmail: string;
  /** '' is the Region's default VPC; another VPC needs its subnets. */
  vpcId: string;
  subnetIds: string[];
  /** S3 event notifications that start runs: none, create, create-and-delete. */
  events: string;
}

export interface Draft {
  type: TaskType;
  engine: TaskEngine;
  name: string;
  cloud: CloudDraft;
  s3: {
    source: LocationDraft;
    destination: LocationDraft;
    compare: string;
    prefixes: string; // one per line
    include: string; // one glob per line
    exclude: string;
    minSize: string;
    maxSize: string;
    modifiedAfter: string;
    modifiedBefore: string;
    delete: boolean;
    serverSide: string;
    concurrency: string;
    storageClass: string;
    acl: string;
    sse: string;
    sseKmsKeyId: string;
  };
  image: {
    sourceKind: ImageSideKind;
    sourceProfileId: string;
    references: string; // one per line
    sourceRegion: string;
    sourceAccount: string;
    repoPrefix: string;
    repoRegex: string;
    destKind: ImageSideKind;
    destProfileId: string;
    destRegistry: string;
    destPrefix: string;
    destRegion: string;
    destAccount: string;
    scanOnPush: boolean;
    immutableTags: boolean;
    kmsKey: string;
    tagInclude: string;
    tagExclude: string;
    semver: string;
    latest: string;
    platforms: string; // one per line
    referrers: boolean;
    concurrency: string;
  };
  schedule: { kind: ScheduleKind; every: string; cron: string; at: string };
  start: boolean;
}

const emptyLocation = (kind: LocationKind): LocationDraft => ({ kind, profileId: '', bucket: '', prefix: '', region: '', path: '' });

export function newDraft(options: TaskFormOptions | null): Draft {
  return {
    type: 'S3',
    engine: 'local',
    name: '',
    cloud: { profileId: '', region: '', controlPlane: '', maxWorkers: '', instanceTypes: [], spot: false, maxCopiers: '', alarmEmail: '', vpcId: '', subnetIds: [], events: 'none' },
    s3: {
      source: emptyLocation('s3'),
      destination: emptyLocation('s3'),
      compare: 'size+etag',
      prefixes: '',
      include: '',
      exclude: '',
      minSize: '',
      maxSize: '',
      modifiedAfter: '',
      modifiedBefore: '',
      delete: false,
      serverSide: 'auto',
      concurrency: String(options?.defaultConcurrency ?? 16),
      storageClass: '',
      acl: '',
      sse: '',
      sseKmsKeyId: '',
    },
    image: {
      sourceKind: 'registry',
      sourceProfileId: '',
      references: '',
      sourceRegion: '',
      sourceAccount: '',
      repoPrefix: '',
      repoRegex: '',
      destKind: 'registry',
      destProfileId: '',
      destRegistry: '',
      destPrefix: '',
      destRegion: '',
      destAccount: '',
      scanOnPush: false,
      immutableTags: false,
      kmsKey: '',
      tagInclude: '',
      tagExclude: '',
      semver: '',
      latest: '',
      platforms: '',
      referrers: true,
      concurrency: String(options?.defaultImageConcurrency ?? 8),
    },
    schedule: { kind: '', every: '', cron: '', at: '' },
    start: true,
  };
}

/** The non-blank lines of a textarea, trimmed (prefixes keep inner and trailing spaces). */
export function lines(text: string, trim = true): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => (trim ? l.trim() : l.replace(/^\s+/, '')))
    .filter((l) => l.trim() !== '');
}

function location(l: LocationDraft): LocationDef {
  if (l.kind === 'local') return { kind: 'local', path: l.path.trim() };
  const out: LocationDef = { kind: 's3', profileId: l.profileId, bucket: l.bucket.trim(), prefix: l.prefix };
  if (l.region.trim()) out.region = l.region.trim();
  return out;
}

/** What the form offers that the definition's numbers are judged against. */
export type Offered = Pick<TaskFormOptions, 'maxConcurrency'>;

/**
 * The wizard's number fields by Go field path: the text typed, whether 0 means the
 * default, and a value outside what the field offers. A number the definition cannot
 * carry as typed ("fast", "1.5", or 0 where 0 means the default) is sent as that value, so
 * Go says what is wrong with the form's own bounds; errorsOf puts the typed text back in
 * its message.
 */
const numberFields: Record<string, { text: (d: Draft) => string; zeroIsDefault: boolean; outside: (o: Offered) => number }> = {
  's3.concurrency': { text: (d) => d.s3.concurrency, zeroIsDefault: true, outside: (o) => o.maxConcurrency + 1 },
  'image.concurrency': { text: (d) => d.image.concurrency, zeroIsDefault: true, outside: (o) => o.maxConcurrency + 1 },
  'image.latest': { text: (d) => d.image.latest, zeroIsDefault: false, outside: () => -1 },
  // Go's bounds are its own (1 to 1000, 1 to 40): any number beyond them is refused.
  'cloud.maxWorkers': { text: (d) => d.cloud.maxWorkers, zeroIsDefault: true, outside: () => 1_000_000 },
  'cloud.maxCopiers': { text: (d) => d.cloud.maxCopiers, zeroIsDefault: true, outside: () => 1_000_000 },
};

/** A number field's value as the definition carries it: '' is absent (the default). */
export function numberOf(d: Draft, offered: Offered, field: string): number | undefined {
  const f = numberFields[field];
  const t = f?.text(d).trim() ?? '';
  if (!f || t === '') return undefined;
  const n = Number(t);
  if (!/^-?\d+$/.test(t) || !Number.isSafeInteger(n) || (n === 0 && f.zeroIsDefault)) return f.outside(offered);
  return n;
}

/** Messages by Go field path (the first one of each field). */
export type Errors = Record<string, string>;

/** Go's field errors for d as the form shows them. */
export function errorsOf(d: Draft, offered: Offered, fieldErrors: FieldError[]): Errors {
  const out: Errors = {};
  for (const { field, message } of fieldErrors) {
    if (field in out) continue;
    const typed = numberFields[field]?.text(d).trim();
    const sent = `${String(numberOf(d, offered, field))} `;
    out[field] = typed && message.startsWith(sent) ? `${typed} ${message.slice(sent.length)}` : message;
  }
  return out;
}

/** The definition the Go side validates and stores. */
export function toDefinition(d: Draft, offered: Offered): TaskDefinition {
  const def: TaskDefinition = { v: 1 };
  if (d.schedule.kind === 'interval') def.schedule = { kind: 'interval', every: d.schedule.every.trim() };
  if (d.schedule.kind === 'cron') def.schedule = { kind: 'cron', cron: d.schedule.cron.trim() };
  // A run at a set time is for cloud tasks; a local one sends it so Go says so.
  if (d.schedule.kind === 'once') def.schedule = { kind: 'once', at: d.schedule.at.trim() };
  if (d.engine === 'cloud') def.cloud = cloudOf(d, offered);
  if (d.type === 'S3') {
    const s = d.s3;
    def.s3 = {
      source: location(s.source),
      destination: location(s.destination),
      compare: s.compare,
      prefixes: lines(s.prefixes, false),
      include: lines(s.include),
      exclude: lines(s.exclude),
      minSize: s.minSize.trim(),
      maxSize: s.maxSize.trim(),
      modifiedAfter: s.modifiedAfter.trim(),
      modifiedBefore: s.modifiedBefore.trim(),
      delete: s.delete,
      serverSide: s.serverSide,
      concurrency: numberOf(d, offered, 's3.concurrency'),
    };
    if (s.destination.kind === 's3') {
      Object.assign(def.s3, { storageClass: s.storageClass, acl: s.acl, sse: s.sse, sseKmsKeyId: s.sseKmsKeyId.trim() });
    }
    if (d.engine === 'cloud' && d.cloud.events !== 'none') def.s3.events = d.cloud.events;
    return def;
  }
  const im = d.image;
  def.image = {
    source:
      im.sourceKind === 'ecr'
        ? {
            kind: 'ecr',
            profileId: im.sourceProfileId,
            references: lines(im.references),
            region: im.sourceRegion.trim(),
            account: im.sourceAccount.trim(),
            repoPrefix: im.repoPrefix.trim(),
            repoRegex: im.repoRegex.trim(),
          }
        : { kind: 'registry', profileId: im.sourceProfileId, references: lines(im.references) },
    destination:
      im.destKind === 'ecr'
        ? {
            kind: 'ecr',
            profileId: im.destProfileId,
            prefix: im.destPrefix.trim(),
            region: im.destRegion.trim(),
            account: im.destAccount.trim(),
            scanOnPush: im.scanOnPush,
            immutableTags: im.immutableTags,
            kmsKey: im.kmsKey.trim(),
          }
        : {
            kind: 'registry',
            profileId: im.destProfileId,
            registry: im.destProfileId ? '' : im.destRegistry.trim(),
            prefix: im.destPrefix.trim(),
          },
    tagInclude: lines(im.tagInclude),
    tagExclude: lines(im.tagExclude),
    semver: im.semver.trim(),
    latest: numberOf(d, offered, 'image.latest'),
    platforms: lines(im.platforms),
    referrers: im.referrers,
    concurrency: numberOf(d, offered, 'image.concurrency'),
  };
  return def;
}

/** The definition's cloud options: only what the user chose (Go fills in the defaults). */
export function cloudOf(d: Draft, offered: Offered): CloudOptionsDef {
  const c = d.cloud;
  const out: CloudOptionsDef = { profileId: c.profileId };
  if (c.region) out.region = c.region;
  if (c.controlPlane.trim()) out.controlPlane = c.controlPlane.trim();
  if (d.type === 'S3') {
    out.maxWorkers = numberOf(d, offered, 'cloud.maxWorkers');
    if (c.instanceTypes.length > 0) out.instanceTypes = [...c.instanceTypes];
    if (c.spot) out.spot = true;
  } else {
    out.maxCopiers = numberOf(d, offered, 'cloud.maxCopiers');
  }
  if (c.alarmEmail.trim()) out.alarmEmail = c.alarmEmail.trim();
  if (c.vpcId) out.network = { vpcId: c.vpcId, subnetIds: [...c.subnetIds] };
  return out;
}

/** The wizard's steps after the first, and the fields each one holds (Go's field paths). */
export const stepFields: Record<'type' | 'source' | 'destination' | 'options' | 'review', readonly string[]> = {
  type: ['name', 'type', 'cloud.profileId', 'cloud.region', 'cloud.controlPlane'],
  source: [
    's3.source.kind',
    's3.source.profileId',
    's3.source.bucket',
    's3.source.prefix',
    's3.source.region',
    's3.source.path',
    'image.source.kind',
    'image.source.profileId',
    'image.source.references',
    'image.source.region',
    'image.source.account',
    'image.source.repoPrefix',
    'image.source.repoRegex',
  ],
  destination: [
    's3.destination.kind',
    's3.destination.profileId',
    's3.destination.bucket',
    's3.destination.prefix',
    's3.destination.region',
    's3.destination.path',
    'image.destination.kind',
    'image.destination.profileId',
    'image.destination.registry',
    'image.destination.prefix',
    'image.destination.region',
    'image.destination.account',
    'image.destination.kmsKey',
  ],
  options: [
    's3.compare',
    's3.prefixes',
    's3.include',
    's3.exclude',
    's3.minSize',
    's3.maxSize',
    's3.modifiedAfter',
    's3.modifiedBefore',
    's3.serverSide',
    's3.concurrency',
    's3.storageClass',
    's3.acl',
    's3.sse',
    's3.sseKmsKeyId',
    'image.tagInclude',
    'image.tagExclude',
    'image.semver',
    'image.latest',
    'image.platforms',
    'image.concurrency',
    'schedule.kind',
    'schedule.every',
    'schedule.cron',
    'schedule.at',
    's3.events',
    'cloud.maxWorkers',
    'cloud.instanceTypes',
    'cloud.spot',
    'cloud.maxCopiers',
    'cloud.alarmEmail',
    'cloud.network.vpcId',
    'cloud.network.subnetIds',
  ],
  review: [],
};

export const stepOrder = ['type', 'source', 'destination', 'options', 'review'] as const;
export type StepId = (typeof stepOrder)[number];

/** The step that holds a field (unknown fields belong to the review step). */
export function stepOf(field: string): StepId {
  for (const s of stepOrder) {
    if (stepFields[s].includes(field)) return s;
  }
  return 'review';
}

function locationDraft(l: LocationDef): LocationDraft {
  return { kind: l.kind, profileId: l.profileId ?? '', bucket: l.bucket ?? '', prefix: l.prefix ?? '', region: l.region ?? '', path: l.path ?? '' };
}

/** The draft with the sides of def in its fields (a cloud task's Edit shows them with the wizard's own fields). */
export function withSidesOf(d: Draft, def: TaskDefinition): Draft {
  const out = structuredClone(d);
  if (def.s3) {
    out.type = 'S3';
    out.s3.source = locationDraft(def.s3.source);
    out.s3.destination = locationDraft(def.s3.destination);
  } else if (def.image) {
    out.type = 'IMAGE';
    const s = def.image.source;
    const t = def.image.destination;
    Object.assign(out.image, {
      sourceKind: s.kind,
      sourceProfileId: s.profileId ?? '',
      references: (s.references ?? []).join('\n'),
      sourceRegion: s.region ?? '',
      sourceAccount: s.account ?? '',
      repoPrefix: s.repoPrefix ?? '',
      repoRegex: s.repoRegex ?? '',
      destKind: t.kind,
      destProfileId: t.profileId ?? '',
      destRegistry: t.registry ?? '',
      destPrefix: t.prefix ?? '',
      destRegion: t.region ?? '',
      destAccount: t.account ?? '',
      scanOnPush: Boolean(t.scanOnPush),
      immutableTags: Boolean(t.immutableTags),
      kmsKey: t.kmsKey ?? '',
    });
  }
  return out;
}

const imageSourceFields = ['sourceKind', 'sourceProfileId', 'references', 'sourceRegion', 'sourceAccount', 'repoPrefix', 'repoRegex'] as const;
const imageDestinationFields = ['destKind', 'destProfileId', 'destRegistry', 'destPrefix', 'destRegion', 'destAccount', 'scanOnPush', 'immutableTags', 'kmsKey'] as const;

/**
 * def with the sides d changed from `from` (both drafts of withSidesOf): a changed side is
 * made as the wizard makes it; a side left alone keeps every field it had, so that Go does
 * not take it for a changed side.
 */
export function withEditedSides(def: TaskDefinition, from: Draft, d: Draft): TaskDefinition {
  const out = structuredClone(def);
  const made = toDefinition(d, { maxConcurrency: 0 });
  const same = (a: LocationDraft, b: LocationDraft) => JSON.stringify(a) === JSON.stringify(b);
  if (out.s3 && made.s3) {
    if (!same(from.s3.source, d.s3.source)) out.s3.source = made.s3.source;
    if (!same(from.s3.destination, d.s3.destination)) out.s3.destination = made.s3.destination;
  }
  if (out.image && made.image) {
    if (imageSourceFields.some((k) => from.image[k] !== d.image[k])) out.image.source = made.image.source;
    if (imageDestinationFields.some((k) => from.image[k] !== d.image[k])) out.image.destination = made.image.destination;
  }
  return out;
}
