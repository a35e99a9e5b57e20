import { useCallback, useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import Link from '@cloudscape-design/components/link';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import Tiles from '@cloudscape-design/components/tiles';
import Toggle from '@cloudscape-design/components/toggle';
import Wizard from '@cloudscape-design/components/wizard';
import { errorMessage, type CredentialProfile } from '../../api/backend';
import { useBackend } from '../../api/BackendContext';
import type { ImageSideKind, LocationKind, ScheduleKind, TaskFormOptions, TaskPlan, TaskType } from '../../api/tasks';
import { href } from '../../shell/sections';
import { countOf, formatBytes, formatCount, formatDuration, withIds } from '../format';
import { lines, newDraft, stepFields, stepOf, stepOrder, toDefinition, type Draft, type LocationDraft, type StepId } from './draft';
import { validateDraft, type Errors, type ValidationContext } from './validate';

type Update = (fn: (d: Draft) => void) => void;

interface FieldProps {
  /** Go field path, e.g. "s3.source.bucket". */
  field: string;
  error: (field: string) => string | undefined;
  touch: (field: string) => void;
}

function profileOptions(profiles: CredentialProfile[], kinds: CredentialProfile['kind'][]): SelectProps.Option[] {
  return profiles
    .filter((p) => kinds.includes(p.kind))
    .map((p) => ({
      label: p.name,
      value: p.id,
      description:
        p.kind === 'aws'
          ? `AWS ${p.partition ?? 'aws'} · ${p.region ?? ''}`
          : p.kind === 's3compat'
            ? p.endpoint || p.provider || 'S3-compatible'
            : `${p.host ?? ''}${p.insecureHttp ? ' (plain HTTP)' : ''}`,
    }));
}

function selected(options: SelectProps.Option[], value: string): SelectProps.Option | null {
  return options.find((o) => o.value === value) ?? null;
}

function AddCredentialsHint() {
  const navigate = useNavigate();
  return (
    <>
      No suitable credentials?{' '}
      <Link
        href={href('/credentials')}
        onFollow={(e) => {
          e.preventDefault();
          void navigate('/credentials');
        }}
      >
        Add them under Credentials
      </Link>
      .
    </>
  );
}

function TextField({
  label,
  description,
  constraint,
  value,
  onChange,
  placeholder,
  field,
  error,
  touch,
  info,
}: FieldProps & {
  label: string;
  description?: React.ReactNode;
  constraint?: React.ReactNode;
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
  info?: React.ReactNode;
}) {
  return (
    <FormField label={label} description={description} constraintText={constraint} errorText={error(field)} info={info}>
      <Input
        value={value}
        placeholder={placeholder}
        ariaLabel={label}
        onChange={(e) => {
          onChange(e.detail.value);
        }}
        onBlur={() => {
          touch(field);
        }}
      />
    </FormField>
  );
}

function LinesField({
  label,
  description,
  constraint,
  value,
  onChange,
  placeholder,
  field,
  error,
  touch,
  rows = 3,
}: FieldProps & {
  label: string;
  description?: React.ReactNode;
  constraint?: React.ReactNode;
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
  rows?: number;
}) {
  return (
    <FormField label={label} description={description} constraintText={constraint} errorText={error(field)}>
      <Textarea
        value={value}
        rows={rows}
        placeholder={placeholder}
        ariaLabel={label}
        spellcheck={false}
        onChange={(e) => {
          onChange(e.detail.value);
        }}
        onBlur={() => {
          touch(field);
        }}
      />
    </FormField>
  );
}

// --- S3 sides ------------------------------------------------------------------------------

function LocationFields({
  side,
  loc,
  update,
  profiles,
  regions,
  fp,
}: {
  side: 'source' | 'destination';
  loc: LocationDraft;
  update: (fn: (l: LocationDraft) => void) => void;
  profiles: CredentialProfile[];
  regions: Record<string, string[]>;
  fp: Omit<FieldProps, 'field'>;
}) {
  const f = `s3.${side}`;
  const options = profileOptions(profiles, ['aws', 's3compat']);
  const profile = profiles.find((p) => p.id === loc.profileId);
  const regionOptions: SelectProps.Option[] = [
    { label: `Profile default${profile?.region ? ` (${profile.region})` : ''}`, value: '' },
    ...(regions[profile?.partition || 'aws'] ?? []).map((r) => ({ label: r, value: r })),
  ];
  return (
    <SpaceBetween size="l">
      <FormField label={side === 'source' ? 'Copy from' : 'Copy to'} errorText={fp.error(`${f}.kind`)}>
        <Tiles
          value={loc.kind}
          ariaLabel={`${side} kind`}
          onChange={(e) => {
            update((l) => {
              l.kind = e.detail.value as LocationKind;
            });
          }}
          items={[
            { value: 's3', label: 'A bucket', description: 'Amazon S3 or an S3-compatible store, with saved credentials.' },
            { value: 'local', label: 'A folder on this computer', description: 'A local or mounted directory.' },
          ]}
        />
      </FormField>
      {loc.kind === 'local' ? (
        <TextField
          {...fp}
          field={`${f}.path`}
          label="Folder"
          description={side === 'source' ? 'The folder to copy.' : 'Created when it does not exist yet.'}
          placeholder="/home/you/data"
          value={loc.path}
          onChange={(v) => {
            update((l) => {
              l.path = v;
            });
          }}
        />
      ) : (
        <>
          <FormField
            label="Credentials"
            description={<AddCredentialsHint />}
            errorText={fp.error(`${f}.profileId`)}
          >
            <Select
              selectedOption={selected(options, loc.profileId)}
              options={options}
              placeholder="Choose an AWS or S3-compatible profile"
              empty="No AWS or S3-compatible credentials yet"
              ariaLabel={`${side} credentials`}
              onChange={(e) => {
                update((l) => {
                  l.profileId = e.detail.selectedOption.value ?? '';
                  l.region = '';
                });
                fp.touch(`${f}.profileId`);
              }}
            />
          </FormField>
          <ColumnLayout columns={2}>
            <TextField
              {...fp}
              field={`${f}.bucket`}
              label="Bucket"
              placeholder="my-bucket"
              value={loc.bucket}
              onChange={(v) => {
                update((l) => {
                  l.bucket = v;
                });
              }}
            />
            <TextField
              {...fp}
              field={`${f}.prefix`}
              label="Prefix - optional"
              description="Only keys under it; leave empty for the whole bucket."
              placeholder="photos/2024/"
              value={loc.prefix}
              onChange={(v) => {
                update((l) => {
                  l.prefix = v;
                });
              }}
            />
          </ColumnLayout>
          {profile?.kind === 'aws' ? (
            <FormField label="Region" description={`Regions of the ${profile.partition || 'aws'} partition.`} errorText={fp.error(`${f}.region`)}>
              <Select
                selectedOption={selected(regionOptions, loc.region) ?? { label: loc.region, value: loc.region }}
                options={regionOptions}
                filteringType="auto"
                ariaLabel={`${side} region`}
                onChange={(e) => {
                  update((l) => {
                    l.region = e.detail.selectedOption.value ?? '';
                  });
                }}
              />
            </FormField>
          ) : (
            <TextField
              {...fp}
              field={`${f}.region`}
              label="Region - optional"
              description="Overrides the profile's region for this bucket."
              placeholder={profile?.region || 'us-east-1'}
              value={loc.region}
              onChange={(v) => {
                update((l) => {
                  l.region = v;
                });
              }}
            />
          )}
        </>
      )}
    </SpaceBetween>
  );
}

// --- image sides ------------------------------------------------------------------------------

const imageKindItems = (side: 'source' | 'destination') => [
  {
    value: 'registry',
    label: 'A container registry',
    description: side === 'source' ? 'Any OCI registry: Docker Hub, GHCR, Harbor, a private registry…' : 'Any OCI registry.',
  },
  { value: 'ecr', label: 'Amazon ECR', description: 'Through AWS credentials; repositories are created on demand.' },
];

function ImageSourceFields({ d, update, profiles, regions, options, fp }: StepProps) {
  const im = d.image;
  const regOptions: SelectProps.Option[] = [
    { label: 'None (public images)', value: '', description: 'Anonymous access' },
    ...profileOptions(profiles, ['registry']),
  ];
  const awsOptions = profileOptions(profiles, ['aws']);
  const profile = profiles.find((p) => p.id === im.sourceProfileId);
  const host = profile?.kind === 'registry' ? profile.host : '';
  return (
    <SpaceBetween size="l">
      <FormField label="Copy images from" errorText={fp.error('image.source.kind')}>
        <Tiles
          value={im.sourceKind}
          ariaLabel="source kind"
          onChange={(e) => {
            update((x) => {
              x.image.sourceKind = e.detail.value as ImageSideKind;
              x.image.sourceProfileId = '';
            });
          }}
          items={imageKindItems('source')}
        />
      </FormField>
      {im.sourceKind === 'registry' ? (
        <FormField label="Registry credentials" description={<AddCredentialsHint />} errorText={fp.error('image.source.profileId')}>
          <Select
            selectedOption={selected(regOptions, im.sourceProfileId)}
            options={regOptions}
            ariaLabel="source credentials"
            onChange={(e) => {
              update((x) => {
                x.image.sourceProfileId = e.detail.selectedOption.value ?? '';
              });
            }}
          />
        </FormField>
      ) : (
        <EcrFields side="source" d={d} update={update} awsOptions={awsOptions} profiles={profiles} regions={regions} options={options} fp={fp} />
      )}
      <LinesField
        {...fp}
        field="image.source.references"
        label={im.sourceKind === 'ecr' ? 'Images - optional' : 'Images'}
        description={
          im.sourceKind === 'ecr'
            ? 'Repository paths on the ECR registry, one per line; leave empty to copy every repository.'
            : host
              ? `Repository paths on ${host}, one per line: repo:tag, repo@sha256:…, or repo:ALL_TAGS for every tag.`
              : 'Full references, one per line: registry/repo:tag, registry/repo@sha256:…, or registry/repo:ALL_TAGS.'
        }
        placeholder={host || im.sourceKind === 'ecr' ? 'team/app:v1\nteam/api:ALL_TAGS' : 'docker.io/library/alpine:3.20\nghcr.io/org/app:ALL_TAGS'}
        rows={5}
        value={im.references}
        onChange={(v) => {
          update((x) => {
            x.image.references = v;
          });
        }}
      />
      {im.sourceKind === 'ecr' && (
        <ColumnLayout columns={2}>
          <TextField
            {...fp}
            field="image.source.repoPrefix"
            label="Repository prefix - optional"
            placeholder="team/"
            value={im.repoPrefix}
            onChange={(v) => {
              update((x) => {
                x.image.repoPrefix = v;
              });
            }}
          />
          <TextField
            {...fp}
            field="image.source.repoRegex"
            label="Repository pattern - optional"
            description="A regular expression."
            placeholder="^team/(app|api)$"
            value={im.repoRegex}
            onChange={(v) => {
              update((x) => {
                x.image.repoRegex = v;
              });
            }}
          />
        </ColumnLayout>
      )}
    </SpaceBetween>
  );
}

function EcrFields({
  side,
  d,
  update,
  awsOptions,
  profiles,
  regions,
  fp,
}: StepProps & { side: 'source' | 'destination'; awsOptions: SelectProps.Option[] }) {
  const im = d.image;
  const profileId = side === 'source' ? im.sourceProfileId : im.destProfileId;
  const region = side === 'source' ? im.sourceRegion : im.destRegion;
  const account = side === 'source' ? im.sourceAccount : im.destAccount;
  const profile = profiles.find((p) => p.id === profileId);
  const regionOptions: SelectProps.Option[] = [
    { label: `Profile default${profile?.region ? ` (${profile.region})` : ''}`, value: '' },
    ...(regions[profile?.partition || 'aws'] ?? []).map((r) => ({ label: r, value: r })),
  ];
  const f = `image.${side}`;
  return (
    <SpaceBetween size="l">
      <FormField label="AWS credentials" description={<AddCredentialsHint />} errorText={fp.error(`${f}.profileId`)}>
        <Select
          selectedOption={selected(awsOptions, profileId)}
          options={awsOptions}
          placeholder="Choose an AWS profile"
          empty="No AWS credentials yet"
          ariaLabel={`${side} AWS credentials`}
          onChange={(e) => {
            update((x) => {
              if (side === 'source') x.image.sourceProfileId = e.detail.selectedOption.value ?? '';
              else x.image.destProfileId = e.detail.selectedOption.value ?? '';
            });
          }}
        />
      </FormField>
      <ColumnLayout columns={2}>
        <FormField label="Region" errorText={fp.error(`${f}.region`)}>
          <Select
            selectedOption={selected(regionOptions, region) ?? { label: region, value: region }}
            options={regionOptions}
            filteringType="auto"
            ariaLabel={`${side} ECR region`}
            onChange={(e) => {
              update((x) => {
                if (side === 'source') x.image.sourceRegion = e.detail.selectedOption.value ?? '';
                else x.image.destRegion = e.detail.selectedOption.value ?? '';
              });
            }}
          />
        </FormField>
        <TextField
          {...fp}
          field={`${f}.account`}
          label="Account - optional"
          description="12 digits; default: the credentials' account."
          placeholder="123456789012"
          value={account}
          onChange={(v) => {
            update((x) => {
              if (side === 'source') x.image.sourceAccount = v;
              else x.image.destAccount = v;
            });
          }}
        />
      </ColumnLayout>
    </SpaceBetween>
  );
}

function ImageDestinationFields({ d, update, profiles, regions, options, fp }: StepProps) {
  const im = d.image;
  const regOptions: SelectProps.Option[] = [
    { label: 'None (enter the registry host)', value: '', description: 'Anonymous access over TLS' },
    ...profileOptions(profiles, ['registry']),
  ];
  const awsOptions = profileOptions(profiles, ['aws']);
  return (
    <SpaceBetween size="l">
      <FormField label="Copy images to" errorText={fp.error('image.destination.kind')}>
        <Tiles
          value={im.destKind}
          ariaLabel="destination kind"
          onChange={(e) => {
            update((x) => {
              x.image.destKind = e.detail.value as ImageSideKind;
              x.image.destProfileId = '';
            });
          }}
          items={imageKindItems('destination')}
        />
      </FormField>
      {im.destKind === 'registry' ? (
        <>
          <FormField label="Registry credentials" description={<AddCredentialsHint />} errorText={fp.error('image.destination.profileId')}>
            <Select
              selectedOption={selected(regOptions, im.destProfileId)}
              options={regOptions}
              ariaLabel="destination credentials"
              onChange={(e) => {
                update((x) => {
                  x.image.destProfileId = e.detail.selectedOption.value ?? '';
                });
              }}
            />
          </FormField>
          {!im.destProfileId && (
            <TextField
              {...fp}
              field="image.destination.registry"
              label="Registry host"
              placeholder="registry.example.com:5000"
              value={im.destRegistry}
              onChange={(v) => {
                update((x) => {
                  x.image.destRegistry = v;
                });
              }}
            />
          )}
        </>
      ) : (
        <EcrFields side="destination" d={d} update={update} awsOptions={awsOptions} profiles={profiles} regions={regions} options={options} fp={fp} />
      )}
      <TextField
        {...fp}
        field="image.destination.prefix"
        label="Repository prefix - optional"
        description="Prepended to each source repository path: team/app becomes mirror/team/app."
        placeholder="mirror"
        value={im.destPrefix}
        onChange={(v) => {
          update((x) => {
            x.image.destPrefix = v;
          });
        }}
      />
      {im.destKind === 'ecr' && (
        <SpaceBetween size="s">
          <Box variant="awsui-key-label">Repositories created by the task</Box>
          <Checkbox
            checked={im.scanOnPush}
            onChange={(e) => {
              update((x) => {
                x.image.scanOnPush = e.detail.checked;
              });
            }}
          >
            Scan images on push
          </Checkbox>
          <Checkbox
            checked={im.immutableTags}
            onChange={(e) => {
              update((x) => {
                x.image.immutableTags = e.detail.checked;
              });
            }}
          >
            Immutable tags
          </Checkbox>
          <TextField
            {...fp}
            field="image.destination.kmsKey"
            label="KMS key - optional"
            description="Encrypt the repositories with this key (default AES256)."
            value={im.kmsKey}
            onChange={(v) => {
              update((x) => {
                x.image.kmsKey = v;
              });
            }}
          />
        </SpaceBetween>
      )}
    </SpaceBetween>
  );
}

// --- options ---------------------------------------------------------------------------------

function optionList(values: string[], labels?: Record<string, string>): SelectProps.Option[] {
  return values.map((v) => ({ value: v, label: labels?.[v] ?? v }));
}

const compareLabels: Record<string, string> = {
  'size+etag': 'Size and ETag (recommended)',
  size: 'Size only (fast; misses same-size changes)',
  checksum: 'Checksum (reads data where needed; slow, certain)',
  none: 'Copy everything',
};

function S3Options({ d, update, options, fp }: StepProps) {
  const s = d.s3;
  const toS3 = s.destination.kind === 's3';
  const set = (fn: (o: Draft['s3']) => void) => {
    update((x) => {
      fn(x.s3);
    });
  };
  const none: SelectProps.Option = { value: '', label: 'Default' };
  const storage = [none, ...optionList(options.storageClasses)];
  const acls = [none, ...optionList(options.cannedAcls)];
  const sse = [{ value: '', label: 'Bucket default' }, ...optionList(options.sseModes)];
  const compare = optionList(options.compareModes, compareLabels);
  const serverSide = optionList(options.serverSides, {
    auto: 'Automatic (when one set of credentials reaches both sides)',
    never: 'Never (stream through this computer)',
    always: 'Always (fail when not possible)',
  });
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h3">What to copy</Header>}>
        <SpaceBetween size="l">
          <FormField label="Compare" description="How a destination object is recognised as already copied." errorText={fp.error('s3.compare')}>
            <Select
              selectedOption={selected(compare, s.compare)}
              options={compare}
              ariaLabel="Compare"
              onChange={(e) => {
                set((o) => {
                  o.compare = e.detail.selectedOption.value ?? 'size+etag';
                });
              }}
            />
          </FormField>
          <LinesField
            {...fp}
            field="s3.prefixes"
            label="Prefix list - optional"
            description="Copy only keys under these prefixes, relative to the source; one per line."
            placeholder={'photos/2024/\ndocuments/'}
            value={s.prefixes}
            onChange={(v) => {
              set((o) => {
                o.prefixes = v;
              });
            }}
          />
          <ColumnLayout columns={2}>
            <LinesField
              {...fp}
              field="s3.include"
              label="Include - optional"
              description="Glob patterns, one per line: * within a folder, ** across folders."
              placeholder={'*.jpg\nreports/**/*.pdf'}
              value={s.include}
              onChange={(v) => {
                set((o) => {
                  o.include = v;
                });
              }}
            />
            <LinesField
              {...fp}
              field="s3.exclude"
              label="Exclude - optional"
              description="Keys matching any of these are skipped."
              placeholder={'*.tmp\ncache/**'}
              value={s.exclude}
              onChange={(v) => {
                set((o) => {
                  o.exclude = v;
                });
              }}
            />
            <TextField
              {...fp}
              field="s3.minSize"
              label="Smallest size - optional"
              placeholder="1KiB"
              value={s.minSize}
              onChange={(v) => {
                set((o) => {
                  o.minSize = v;
                });
              }}
            />
            <TextField
              {...fp}
              field="s3.maxSize"
              label="Largest size - optional"
              placeholder="5GiB"
              value={s.maxSize}
              onChange={(v) => {
                set((o) => {
                  o.maxSize = v;
                });
              }}
            />
            <TextField
              {...fp}
              field="s3.modifiedAfter"
              label="Modified after - optional"
              placeholder="2024-01-01"
              value={s.modifiedAfter}
              onChange={(v) => {
                set((o) => {
                  o.modifiedAfter = v;
                });
              }}
            />
            <TextField
              {...fp}
              field="s3.modifiedBefore"
              label="Modified before - optional"
              placeholder="2024-12-31T23:59:59Z"
              value={s.modifiedBefore}
              onChange={(v) => {
                set((o) => {
                  o.modifiedBefore = v;
                });
              }}
            />
          </ColumnLayout>
          <Toggle
            checked={s.delete}
            description="Remove destination objects that the source no longer has (within the selection above)."
            onChange={(e) => {
              set((o) => {
                o.delete = e.detail.checked;
              });
            }}
          >
            Delete extra objects at the destination
          </Toggle>
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h3">How to copy</Header>}>
        <SpaceBetween size="l">
          <ColumnLayout columns={2}>
            <TextField
              {...fp}
              field="s3.concurrency"
              label="Concurrency"
              constraint={`Transfers in flight, ${options.minConcurrency} to ${options.maxConcurrency}.`}
              value={s.concurrency}
              onChange={(v) => {
                set((o) => {
                  o.concurrency = v;
                });
              }}
            />
            <FormField label="Server-side copy" errorText={fp.error('s3.serverSide')}>
              <Select
                selectedOption={selected(serverSide, s.serverSide)}
                options={serverSide}
                ariaLabel="Server-side copy"
                onChange={(e) => {
                  set((o) => {
                    o.serverSide = e.detail.selectedOption.value ?? 'auto';
                  });
                }}
              />
            </FormField>
          </ColumnLayout>
          {toS3 && (
            <ColumnLayout columns={2}>
              <FormField label="Storage class" errorText={fp.error('s3.storageClass')}>
                <Select
                  selectedOption={selected(storage, s.storageClass)}
                  options={storage}
                  ariaLabel="Storage class"
                  onChange={(e) => {
                    set((o) => {
                      o.storageClass = e.detail.selectedOption.value ?? '';
                    });
                  }}
                />
              </FormField>
              <FormField label="Access control (ACL)" errorText={fp.error('s3.acl')}>
                <Select
                  selectedOption={selected(acls, s.acl)}
                  options={acls}
                  ariaLabel="ACL"
                  onChange={(e) => {
                    set((o) => {
                      o.acl = e.detail.selectedOption.value ?? '';
                    });
                  }}
                />
              </FormField>
              <FormField label="Encryption" errorText={fp.error('s3.sse')}>
                <Select
                  selectedOption={selected(sse, s.sse)}
                  options={sse}
                  ariaLabel="Encryption"
                  onChange={(e) => {
                    set((o) => {
                      o.sse = e.detail.selectedOption.value ?? '';
                    });
                  }}
                />
              </FormField>
              {s.sse === 'aws:kms' || s.sseKmsKeyId ? (
                <TextField
                  {...fp}
                  field="s3.sseKmsKeyId"
                  label="KMS key - optional"
                  placeholder="alias/my-key"
                  value={s.sseKmsKeyId}
                  onChange={(v) => {
                    set((o) => {
                      o.sseKmsKeyId = v;
                    });
                  }}
                />
              ) : (
                <div />
              )}
            </ColumnLayout>
          )}
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}

function ImageOptions({ d, update, options, fp }: StepProps) {
  const im = d.image;
  const set = (fn: (o: Draft['image']) => void) => {
    update((x) => {
      fn(x.image);
    });
  };
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h3" description="They narrow ALL_TAGS sources and whole-ECR selections; explicit tags are always copied.">Tags</Header>}>
        <ColumnLayout columns={2}>
          <LinesField
            {...fp}
            field="image.tagInclude"
            label="Include tags - optional"
            description="Regular expressions matching the whole tag, one per line."
            placeholder={'v\\d+\\.\\d+\\.\\d+\nlatest'}
            value={im.tagInclude}
            onChange={(v) => {
              set((o) => {
                o.tagInclude = v;
              });
            }}
          />
          <LinesField
            {...fp}
            field="image.tagExclude"
            label="Exclude tags - optional"
            placeholder={'.*-rc\\d*\n.*-debug'}
            value={im.tagExclude}
            onChange={(v) => {
              set((o) => {
                o.tagExclude = v;
              });
            }}
          />
          <TextField
            {...fp}
            field="image.semver"
            label="Version range - optional"
            description="Keeps version tags in this range; others are dropped."
            placeholder=">=1.2, <2"
            value={im.semver}
            onChange={(v) => {
              set((o) => {
                o.semver = v;
              });
            }}
          />
          <TextField
            {...fp}
            field="image.latest"
            label="Only the newest - optional"
            description="Keep the N most recent tags (0 or empty: all)."
            placeholder="10"
            value={im.latest}
            onChange={(v) => {
              set((o) => {
                o.latest = v;
              });
            }}
          />
        </ColumnLayout>
      </Container>
      <Container header={<Header variant="h3">How to copy</Header>}>
        <SpaceBetween size="l">
          <LinesField
            {...fp}
            field="image.platforms"
            label="Platforms - optional"
            description="Copy only these platforms of multi-platform images, one per line. Empty copies every platform and keeps the image digest."
            placeholder={'linux/amd64\nlinux/arm64'}
            value={im.platforms}
            onChange={(v) => {
              set((o) => {
                o.platforms = v;
              });
            }}
          />
          <Toggle
            checked={im.referrers}
            description="Signatures, SBOMs and attestations attached to each image."
            onChange={(e) => {
              set((o) => {
                o.referrers = e.detail.checked;
              });
            }}
          >
            Copy referrers
          </Toggle>
          <TextField
            {...fp}
            field="image.concurrency"
            label="Concurrency"
            constraint={`Images copied at once, ${options.minConcurrency} to ${options.maxConcurrency}.`}
            value={im.concurrency}
            onChange={(v) => {
              set((o) => {
                o.concurrency = v;
              });
            }}
          />
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}

function ScheduleFields({ d, update, fp }: StepProps) {
  const s = d.schedule;
  return (
    <Container header={<Header variant="h3" description="Repeat runs while Transfer Hub is open.">Schedule</Header>}>
      <SpaceBetween size="l">
        <FormField label="Runs" errorText={fp.error('schedule.kind')}>
          <RadioGroup
            value={s.kind}
            ariaLabel="Schedule"
            onChange={(e) => {
              update((x) => {
                x.schedule.kind = e.detail.value as ScheduleKind;
              });
            }}
            items={[
              { value: '', label: 'Only when I start it' },
              { value: 'interval', label: 'Every…', description: 'A fixed interval, e.g. 30m, 6h, 24h.' },
              { value: 'cron', label: 'On a cron schedule', description: 'minute hour day-of-month month day-of-week, local time.' },
            ]}
          />
        </FormField>
        {s.kind === 'interval' && (
          <TextField
            {...fp}
            field="schedule.every"
            label="Interval"
            placeholder="6h"
            value={s.every}
            onChange={(v) => {
              update((x) => {
                x.schedule.every = v;
              });
            }}
          />
        )}
        {s.kind === 'cron' && (
          <TextField
            {...fp}
            field="schedule.cron"
            label="Cron expression"
            placeholder="0 2 * * *"
            value={s.cron}
            onChange={(v) => {
              update((x) => {
                x.schedule.cron = v;
              });
            }}
          />
        )}
      </SpaceBetween>
    </Container>
  );
}

// --- review ------------------------------------------------------------------------------------

type PlanState = { state: 'idle' } | { state: 'loading' } | { state: 'done'; plan: TaskPlan } | { state: 'error'; message: string };

function PlanView({ plan, type }: { plan: PlanState; type: TaskType }) {
  if (plan.state === 'idle') return <Box color="text-body-secondary">The dry run lists and compares both sides; it copies nothing.</Box>;
  if (plan.state === 'loading') return <StatusIndicator type="loading">Listing and comparing (dry run)…</StatusIndicator>;
  if (plan.state === 'error') {
    return (
      <Alert type="error" header="The dry run failed">
        {plan.message}
      </Alert>
    );
  }
  const p = plan.plan;
  const unit = type === 'S3' ? 'object' : 'image';
  return (
    <SpaceBetween size="m">
      {p.partial && (
        <Alert type="warning">The listing took too long to finish here: these counts are a lower bound. The first run lists everything.</Alert>
      )}
      <KeyValuePairs
        columns={4}
        items={[
          { label: `Found`, value: `${countOf(p.found, unit)}${type === 'S3' ? ` (${formatBytes(p.foundBytes)})` : ''}`, id: 'found' },
          { label: 'To copy', value: `${countOf(p.toCopy, unit)}${type === 'S3' ? ` (${formatBytes(p.toCopyBytes)})` : ''}`, id: 'toCopy' },
          { label: 'Already there', value: countOf(p.unchanged, unit), id: 'unchanged' },
          type === 'S3'
            ? { label: 'To delete', value: formatCount(p.toDelete), id: 'toDelete' }
            : { label: 'Cannot be read', value: formatCount(p.errors), id: 'errors' },
          ...(type === 'S3'
            ? [
                { label: 'Archived (skipped)', value: formatCount(p.archived), id: 'archived' },
                { label: 'Estimated requests', value: formatCount(p.estRequests), id: 'requests' },
                { label: 'Copy', value: p.serverSide ? 'Server-side' : 'Through this computer', id: 'serverSide' },
              ]
            : []),
          { label: 'Dry run took', value: formatDuration(p.seconds), id: 'seconds' },
        ]}
      />
      {type === 'IMAGE' && (p.entries?.length ?? 0) > 0 && (
        <ExpandableSection headerText={`Images (${formatCount(p.entries?.length ?? 0)}${p.found > (p.entries?.length ?? 0) ? ` of ${formatCount(p.found)}` : ''})`} defaultExpanded={p.errors > 0}>
          <Table
            variant="embedded"
            items={p.entries ?? []}
            wrapLines
            columnDefinitions={[
              { id: 'source', header: 'Source', cell: (e) => e.source, width: 260 },
              { id: 'destination', header: 'Destination', cell: (e) => e.destination, width: 260 },
              {
                id: 'action',
                header: 'Plan',
                cell: (e) =>
                  e.action === 'copy' ? (
                    <StatusIndicator type="pending">Copy</StatusIndicator>
                  ) : e.action === 'skip' ? (
                    <StatusIndicator type="success">Up to date</StatusIndicator>
                  ) : (
                    <StatusIndicator type="error">{e.error ?? 'Error'}</StatusIndicator>
                  ),
              },
            ]}
          />
        </ExpandableSection>
      )}
    </SpaceBetween>
  );
}

function Review({ d, profiles, plan, onPlan, update }: StepProps & { plan: PlanState; onPlan: () => void }) {
  const name = (id: string) => profiles.find((p) => p.id === id)?.name ?? (id ? id : 'None');
  const loc = (l: LocationDraft) => (l.kind === 'local' ? l.path : `s3://${l.bucket}/${l.prefix} · ${name(l.profileId)}${l.region ? ` · ${l.region}` : ''}`);
  const im = d.image;
  const schedule = d.schedule.kind === 'interval' ? `Every ${d.schedule.every}` : d.schedule.kind === 'cron' ? `Cron: ${d.schedule.cron}` : 'Only when started';
  const items =
    d.type === 'S3'
      ? [
          { label: 'Source', value: loc(d.s3.source) },
          { label: 'Destination', value: loc(d.s3.destination) },
          { label: 'Compare', value: compareLabels[d.s3.compare] ?? d.s3.compare },
          {
            label: 'Selection',
            value:
              [
                lines(d.s3.prefixes, false).length ? `${lines(d.s3.prefixes, false).length} prefixes` : '',
                lines(d.s3.include).length ? `include ${lines(d.s3.include).join(', ')}` : '',
                lines(d.s3.exclude).length ? `exclude ${lines(d.s3.exclude).join(', ')}` : '',
                d.s3.minSize ? `≥ ${d.s3.minSize}` : '',
                d.s3.maxSize ? `≤ ${d.s3.maxSize}` : '',
                d.s3.modifiedAfter ? `after ${d.s3.modifiedAfter}` : '',
                d.s3.modifiedBefore ? `before ${d.s3.modifiedBefore}` : '',
              ]
                .filter(Boolean)
                .join('; ') || 'Everything',
          },
          { label: 'Delete extra objects', value: d.s3.delete ? 'Yes' : 'No' },
          { label: 'Concurrency', value: d.s3.concurrency },
          { label: 'Schedule', value: schedule },
        ]
      : [
          {
            label: 'Source',
            value: `${im.sourceKind === 'ecr' ? `Amazon ECR ${im.sourceRegion || ''}` : 'Registry'} · ${name(im.sourceProfileId)}`,
          },
          { label: 'Images', value: lines(im.references).join(', ') || 'Every repository' },
          {
            label: 'Destination',
            value: `${im.destKind === 'ecr' ? `Amazon ECR ${im.destRegion || ''}` : im.destProfileId ? name(im.destProfileId) : im.destRegistry}${im.destPrefix ? ` / ${im.destPrefix}` : ''}`,
          },
          { label: 'Platforms', value: lines(im.platforms).join(', ') || 'All' },
          { label: 'Referrers', value: im.referrers ? 'Copied' : 'Not copied' },
          { label: 'Concurrency', value: im.concurrency },
          { label: 'Schedule', value: schedule },
        ];
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h3">{d.name || 'New task'}</Header>}>
        <KeyValuePairs columns={3} items={withIds(items)} />
      </Container>
      <Container
        header={
          <Header
            variant="h3"
            description="What a run would do now."
            actions={
              <Button onClick={onPlan} loading={plan.state === 'loading'} iconName="refresh">
                Run the dry run again
              </Button>
            }
          >
            Dry run plan
          </Header>
        }
      >
        <PlanView plan={plan} type={d.type} />
      </Container>
      <Checkbox
        checked={d.start}
        onChange={(e) => {
          update((x) => {
            x.start = e.detail.checked;
          });
        }}
      >
        Start the task when it is created
      </Checkbox>
    </SpaceBetween>
  );
}

// --- the wizard ----------------------------------------------------------------------------------

interface StepProps {
  d: Draft;
  update: Update;
  profiles: CredentialProfile[];
  regions: Record<string, string[]>;
  options: TaskFormOptions;
  fp: Omit<FieldProps, 'field'>;
}

const stepTitles: Record<StepId, string> = {
  type: 'Choose a task type',
  source: 'Source',
  destination: 'Destination',
  options: 'Options',
  review: 'Review and create',
};

export function CreateTaskWizard() {
  const backend = useBackend();
  const navigate = useNavigate();
  const [options, setOptions] = useState<TaskFormOptions | null>(null);
  const [profiles, setProfiles] = useState<CredentialProfile[]>([]);
  const [regions, setRegions] = useState<Record<string, string[]>>({});
  const [taskNames, setTaskNames] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>(() => newDraft(null));
  const [active, setActive] = useState(0);
  const [attempted, setAttempted] = useState<Set<StepId>>(new Set());
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [serverErrors, setServerErrors] = useState<Errors>({});
  const [checking, setChecking] = useState(false);
  const [plan, setPlan] = useState<PlanState>({ state: 'idle' });
  const [submitError, setSubmitError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([backend.taskFormOptions(), backend.listCredentials(), backend.credentialFormOptions(), backend.listTasks()]).then(
      ([o, creds, credOpts, rows]) => {
        if (!live) return;
        setOptions(o);
        setDraft(newDraft(o));
        setProfiles(creds.profiles);
        setRegions(credOpts.regions);
        setTaskNames(rows.map((r) => r.task.name));
      },
      (e: unknown) => {
        if (live) setLoadError(errorMessage(e));
      },
    );
    return () => {
      live = false;
    };
  }, [backend]);

  const ctx = useMemo<ValidationContext>(
    () => ({
      profiles,
      regions,
      minConcurrency: options?.minConcurrency ?? 1,
      maxConcurrency: options?.maxConcurrency ?? 256,
      maxNameLength: options?.maxNameLength ?? 128,
      taskNames,
    }),
    [profiles, regions, options, taskNames],
  );
  const clientErrors = useMemo(() => validateDraft(draft, ctx), [draft, ctx]);

  const update: Update = useCallback((fn) => {
    setDraft((d) => {
      const next = structuredClone(d);
      fn(next);
      return next;
    });
    setPlan({ state: 'idle' });
  }, []);

  const touch = useCallback((field: string) => {
    setTouched((t) => (t.has(field) ? t : new Set(t).add(field)));
  }, []);

  // Server messages stand until the field changes; client messages show once a field was
  // left or its step's Next was tried.
  const error = useCallback(
    (field: string): string | undefined => {
      const client = clientErrors[field];
      if (client && (touched.has(field) || attempted.has(stepOf(field)))) return client;
      return serverErrors[field];
    },
    [clientErrors, serverErrors, touched, attempted],
  );
  const fp = useMemo(() => ({ error, touch }), [error, touch]);

  // Editing a field clears its server message.
  const updateAndClear: Update = useCallback(
    (fn) => {
      update(fn);
      setServerErrors({});
    },
    [update],
  );

  const runPlan = useCallback(() => {
    setPlan({ state: 'loading' });
    backend.planTask(toDefinition(draft)).then(
      (res) => {
        if (res.ok) setPlan({ state: 'done', plan: res.plan });
        else setPlan({ state: 'error', message: res.fieldErrors.map((f) => f.message).join(' ') });
      },
      (e: unknown) => {
        setPlan({ state: 'error', message: errorMessage(e) });
      },
    );
  }, [backend, draft]);

  const stepErrors = (step: StepId, errs: Errors) => Object.keys(errs).filter((f) => stepOf(f) === step || (step === 'type' && f === 'type'));

  const goTo = useCallback(
    async (index: number) => {
      const step = stepOrder[active] ?? 'type';
      if (index <= active) {
        setActive(index);
        return;
      }
      setAttempted((a) => new Set(a).add(step));
      if (stepErrors(step, clientErrors).length > 0) return;
      // The Go side checks what the browser cannot (profiles, folders, partitions).
      setChecking(true);
      try {
        const fe = await backend.validateTask(draft.name, toDefinition(draft));
        const errs: Errors = {};
        for (const f of fe) errs[f.field] = f.message;
        const blocking = stepOrder.slice(0, active + 1).flatMap((s) => stepErrors(s, errs));
        setServerErrors(errs);
        if (blocking.length > 0) {
          const first = stepOf(blocking[0] ?? '');
          setActive(stepOrder.indexOf(first));
          return;
        }
        setActive(index);
        if (stepOrder[index] === 'review' && plan.state === 'idle') runPlan();
      } catch (e: unknown) {
        setSubmitError(errorMessage(e));
      } finally {
        setChecking(false);
      }
    },
    [active, backend, clientErrors, draft, plan.state, runPlan],
  );

  const submit = useCallback(async () => {
    setAttempted(new Set(stepOrder));
    const firstClient = Object.keys(clientErrors)[0];
    if (firstClient) {
      setActive(stepOrder.indexOf(stepOf(firstClient)));
      return;
    }
    setChecking(true);
    setSubmitError(null);
    try {
      const res = await backend.createTask(draft.name.trim(), toDefinition(draft), draft.start);
      if (!res.ok) {
        const errs: Errors = {};
        for (const f of res.fieldErrors) errs[f.field] = f.message;
        setServerErrors(errs);
        setActive(stepOrder.indexOf(stepOf(res.fieldErrors[0]?.field ?? 'name')));
        return;
      }
      void navigate(`/tasks/${res.task.id}`);
    } catch (e: unknown) {
      setSubmitError(errorMessage(e));
    } finally {
      setChecking(false);
    }
  }, [backend, clientErrors, draft, navigate]);

  if (loadError) {
    return (
      <Alert type="error" header="The task wizard could not load">
        {loadError}
      </Alert>
    );
  }
  if (!options) return <StatusIndicator type="loading">Loading</StatusIndicator>;

  const props: StepProps = { d: draft, update: updateAndClear, profiles, regions, options, fp };
  const isS3 = draft.type === 'S3';
  const serverOnly = Object.entries(serverErrors).filter(([f]) => !stepFields[stepOf(f)].includes(f) && f !== 'name' && f !== 'type');

  return (
    <Wizard
      activeStepIndex={active}
      isLoadingNextStep={checking}
      onNavigate={(e) => {
        void goTo(e.detail.requestedStepIndex);
      }}
      onCancel={() => {
        void navigate('/tasks');
      }}
      onSubmit={() => {
        void submit();
      }}
      submitButtonText="Create task"
      i18nStrings={{
        stepNumberLabel: (n) => `Step ${n}`,
        collapsedStepsLabel: (n, total) => `Step ${n} of ${total}`,
        navigationAriaLabel: 'Steps',
        cancelButton: 'Cancel',
        previousButton: 'Previous',
        nextButton: 'Next',
        optional: 'optional',
      }}
      steps={[
        {
          title: stepTitles.type,
          description: 'A task copies S3 objects or container images, on this computer.',
          content: (
            <Container>
              <SpaceBetween size="l">
                <FormField label="What to copy" errorText={error('type')}>
                  <Tiles
                    value={draft.type}
                    ariaLabel="Task type"
                    onChange={(e) => {
                      updateAndClear((x) => {
                        x.type = e.detail.value as TaskType;
                      });
                    }}
                    items={[
                      { value: 'S3', label: 'S3 objects', description: 'Between buckets (AWS, other clouds, S3-compatible stores) and local folders.' },
                      { value: 'IMAGE', label: 'Container images', description: 'Between OCI registries and Amazon ECR, with tags, platforms and signatures.' },
                    ]}
                  />
                </FormField>
                <TextField
                  {...fp}
                  field="name"
                  label="Name"
                  constraint={`Up to ${options.maxNameLength} characters; unique among your tasks.`}
                  placeholder={isS3 ? 'Photos to archive' : 'Mirror base images'}
                  value={draft.name}
                  onChange={(v) => {
                    updateAndClear((x) => {
                      x.name = v;
                    });
                  }}
                />
              </SpaceBetween>
            </Container>
          ),
        },
        {
          title: stepTitles.source,
          description: isS3 ? 'Where the objects are.' : 'Which images to copy.',
          content: (
            <Container>
              {isS3 ? (
                <LocationFields
                  side="source"
                  loc={draft.s3.source}
                  update={(fn) => {
                    updateAndClear((x) => {
                      fn(x.s3.source);
                    });
                  }}
                  profiles={profiles}
                  regions={regions}
                  fp={fp}
                />
              ) : (
                <ImageSourceFields {...props} />
              )}
            </Container>
          ),
        },
        {
          title: stepTitles.destination,
          description: isS3 ? 'Where the copies go.' : 'Where the images go.',
          content: (
            <Container>
              {isS3 ? (
                <LocationFields
                  side="destination"
                  loc={draft.s3.destination}
                  update={(fn) => {
                    updateAndClear((x) => {
                      fn(x.s3.destination);
                    });
                  }}
                  profiles={profiles}
                  regions={regions}
                  fp={fp}
                />
              ) : (
                <ImageDestinationFields {...props} />
              )}
            </Container>
          ),
        },
        {
          title: stepTitles.options,
          description: 'All optional: the defaults copy everything that differs.',
          isOptional: true,
          content: (
            <SpaceBetween size="l">
              {isS3 ? <S3Options {...props} /> : <ImageOptions {...props} />}
              <ScheduleFields {...props} />
            </SpaceBetween>
          ),
        },
        {
          title: stepTitles.review,
          content: (
            <SpaceBetween size="l">
              {submitError && (
                <Alert type="error" header="The task was not created">
                  {submitError}
                </Alert>
              )}
              {serverOnly.length > 0 && (
                <Alert type="error" header="Fix these first">
                  {serverOnly.map(([f, m]) => (
                    <div key={f}>{m}</div>
                  ))}
                </Alert>
              )}
              <Review {...props} plan={plan} onPlan={runPlan} />
            </SpaceBetween>
          ),
        },
      ]}
    />
  );
}
