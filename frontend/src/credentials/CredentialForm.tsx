import { useState, type ReactNode } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Modal from '@cloudscape-design/components/modal';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import {
  asCredentialKind,
  credentialKinds,
  errorMessage,
  type CredentialFormOptions,
  type CredentialProfile,
} from '../api/backend';
import { useBackend } from '../api/BackendContext';
import {
  draftErrorsOf,
  draftOf,
  emptyDraft,
  fieldsOf,
  needsSecret,
  secretOf,
  validateDraft,
  type Draft,
  type DraftErrors,
} from './draft';
import { kindDescriptions, kindLabels, partitionLabels } from './labels';
import { ModalFooter } from '../shell/ModalFooter';

export interface CredentialFormProps {
  /** The profile to edit; undefined to create one. */
  profile?: CredentialProfile;
  options: CredentialFormOptions;
  /** Names of the other profiles (names are unique). */
  otherNames: string[];
  onSaved: (saved: CredentialProfile) => void;
  onDismiss: () => void;
}

const storedPlaceholder = '•••••••• stored in the keychain';
const keepSecretHint = 'Stored in the keychain. Leave empty to keep it; type to replace it.';

function option(value: string, label?: string, description?: string): SelectProps.Option {
  return { value, label: label ?? value, description };
}

/** A field label with a note in italics ("Region - optional"). */
function noted(label: string, note = 'optional') {
  return (
    <span>
      {label} <i>{`- ${note}`}</i>
    </span>
  );
}

type TextKey = { [K in keyof Draft]: Draft[K] extends string ? K : never }[keyof Draft];

/** value and onChange of an Input bound to one text of the draft. */
type Bind = (key: TextKey) => { value: string; onChange: (e: { detail: { value: string } }) => void };

/** A secret's input: typed over a stored one, it replaces it. */
function SecretInput({ stored, ...bound }: ReturnType<Bind> & { stored?: boolean }) {
  return <Input type="password" autoComplete={false} placeholder={stored ? storedPlaceholder : undefined} {...bound} />;
}

/** Create or edit one credentials profile in a modal. */
export function CredentialForm({ profile, options, otherNames, onSaved, onDismiss }: CredentialFormProps) {
  const backend = useBackend();
  const editing = profile !== undefined;
  const [draft, setDraft] = useState<Draft>(() => (profile ? draftOf(profile) : emptyDraft('s3compat')));
  const [errors, setErrors] = useState<DraftErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const ctx = { original: profile, otherNames, options };

  const edit = (patch: Partial<Draft>) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    // After a first attempt, errors follow the typing; before it, nobody is scolded.
    if (submitted) setErrors(validateDraft(next, ctx));
  };
  const bind: Bind = (key) => ({
    value: draft[key],
    onChange: (e) => {
      edit({ [key]: e.detail.value });
    },
  });

  const save = async () => {
    setSubmitted(true);
    setSaveError(null);
    const found = validateDraft(draft, ctx);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setSaving(true);
    try {
      const res = await backend.saveCredentials(fieldsOf(draft), secretOf(draft, editing));
      if (!res.ok) {
        setErrors(draftErrorsOf(res.fieldErrors));
        return;
      }
      onSaved(res.profile);
    } catch (e) {
      setSaveError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  const provider = options.providers.find((p) => p.name === draft.provider);
  const secretStored = editing && profile.secretSet;
  const providerOptions = options.providers.map((p) => option(p.name, p.label, p.endpointExample || 'Needs your endpoint URL'));
  const regionOptions = (options.regions[draft.partition] ?? []).map((r) => option(r));

  let kindFields: ReactNode;
  switch (draft.kind) {
    case 'aws':
      kindFields = (
        <SpaceBetween size="l">
          <ColumnLayout columns={2}>
            <FormField label="Partition" errorText={errors.partition} description="Global, China or GovCloud (US) regions.">
              <Select
                selectedOption={option(draft.partition, partitionLabels[draft.partition])}
                options={options.partitions.map((p) => option(p, partitionLabels[p]))}
                onChange={(e) => {
                  const partition = e.detail.selectedOption.value ?? 'aws';
                  edit({ partition, region: options.regions[partition]?.[0] ?? '' });
                }}
              />
            </FormField>
            <FormField label="Default region" errorText={errors.region} description="Where buckets are looked for first.">
              <Select
                selectedOption={draft.region ? option(draft.region) : null}
                options={regionOptions}
                filteringType="auto"
                placeholder="Choose a region"
                onChange={(e) => {
                  edit({ region: e.detail.selectedOption.value ?? '' });
                }}
              />
            </FormField>
          </ColumnLayout>
          <FormField label="Sign in with">
            <RadioGroup
              value={draft.awsAuth}
              onChange={(e) => {
                edit({ awsAuth: e.detail.value === 'profile' ? 'profile' : 'keys' });
              }}
              items={[
                { value: 'keys', label: 'Access keys', description: 'An access key ID and secret access key (and a session token for temporary keys).' },
                { value: 'profile', label: 'AWS CLI profile', description: 'A profile from ~/.aws/config on this computer, SSO included. No secret is stored here.' },
              ]}
            />
          </FormField>
          {draft.awsAuth === 'profile' ? (
            <FormField
              label="AWS CLI profile"
              errorText={errors.sharedProfile}
              description={options.sharedProfiles.length > 0 ? `Found on this computer: ${options.sharedProfiles.join(', ')}.` : 'No profiles were found in ~/.aws/config; type the name.'}
            >
              <Autosuggest
                value={draft.sharedProfile}
                options={options.sharedProfiles.map((p) => ({ value: p }))}
                enteredTextLabel={(v) => `Use "${v}"`}
                placeholder="default"
                empty="No profiles found"
                onChange={(e) => {
                  edit({ sharedProfile: e.detail.value });
                }}
              />
            </FormField>
          ) : (
            <AccessKeyFields errors={errors} bind={bind} stored={secretStored} aws />
          )}
          <ExpandableSection headerText="Assume a role (optional)" defaultExpanded={draft.roleArn !== ''}>
            <SpaceBetween size="l">
              <FormField label="Role ARN" errorText={errors.roleArn} description="Transfers run as this role, assumed with the credentials above.">
                <Input placeholder={`arn:${draft.partition}:iam::123456789012:role/TransferHub`} {...bind('roleArn')} />
              </FormField>
              <FormField label="External ID" errorText={errors.externalId} description="Only if the role's trust policy asks for one.">
                <Input {...bind('externalId')} />
              </FormField>
            </SpaceBetween>
          </ExpandableSection>
          <TestBucketField errors={errors} bind={bind} />
        </SpaceBetween>
      );
      break;
    case 's3compat':
      kindFields = (
        <SpaceBetween size="l">
          <ColumnLayout columns={2}>
            <FormField label="Provider" errorText={errors.provider}>
              <Select
                selectedOption={provider ? option(provider.name, provider.label) : null}
                options={providerOptions}
                placeholder="Choose a provider"
                onChange={(e) => {
                  edit({ provider: e.detail.selectedOption.value ?? '' });
                }}
              />
            </FormField>
            <FormField
              label={noted('Region')}
              errorText={errors.region}
              description={provider ? `Default: ${provider.defaultRegion}` : undefined}
            >
              <Input placeholder={provider?.defaultRegion} {...bind('region')} />
            </FormField>
          </ColumnLayout>
          <FormField
            label={provider?.needsEndpoint ? 'Endpoint URL' : noted('Endpoint URL')}
            errorText={errors.endpoint}
            description={
              provider?.needsEndpoint
                ? 'The address of the S3 API, with http:// or https:// and the port if not the default.'
                : `Leave empty to use ${provider?.endpointExample ?? 'the provider endpoint'} for the region.`
            }
          >
            <Input inputMode="url" placeholder={provider?.endpointExample || 'https://s3.example.com'} {...bind('endpoint')} />
          </FormField>
          <AccessKeyFields errors={errors} bind={bind} stored={secretStored} aws={false} />
          <Checkbox
            checked={draft.pathStyle || (provider?.pathStyle ?? false)}
            disabled={provider?.pathStyle}
            description={
              provider?.pathStyle
                ? 'Buckets are addressed as endpoint/bucket: this provider always works that way.'
                : 'Address buckets as endpoint/bucket instead of bucket.endpoint (for stores without per-bucket host names).'
            }
            onChange={(e) => {
              edit({ pathStyle: e.detail.checked });
            }}
          >
            Path-style addressing
          </Checkbox>
          <TestBucketField errors={errors} bind={bind} />
        </SpaceBetween>
      );
      break;
    case 'registry':
      kindFields = (
        <SpaceBetween size="l">
          <FormField label="Registry host" errorText={errors.host} description="Host name and port, without https://.">
            <Input placeholder="registry.example.com:5000" {...bind('host')} />
          </FormField>
          <ColumnLayout columns={2}>
            <FormField label="User name" errorText={errors.username}>
              <Input autoComplete={false} {...bind('username')} />
            </FormField>
            <FormField
              label="Password or token"
              errorText={errors.password}
              description={secretStored ? keepSecretHint : undefined}
            >
              <SecretInput stored={secretStored} {...bind('password')} />
            </FormField>
          </ColumnLayout>
          <Checkbox
            checked={draft.insecureHttp}
            description="Only for a registry on a network you trust: nothing is encrypted."
            onChange={(e) => {
              edit({ insecureHttp: e.detail.checked });
            }}
          >
            Plain HTTP (no TLS)
          </Checkbox>
          <FormField
            label={noted('CA certificate file')}
            errorText={errors.caFile}
            description="For a registry whose certificate comes from a private CA: the full path of its PEM file."
          >
            <Input placeholder="/etc/ssl/private-ca.pem" disabled={draft.insecureHttp} {...bind('caFile')} />
          </FormField>
        </SpaceBetween>
      );
      break;
  }

  return (
    <Modal
      visible
      size="large"
      onDismiss={onDismiss}
      header={editing ? `Edit ${profile.name}` : 'Add credentials'}
      footer={<ModalFooter action={editing ? 'Save changes' : 'Add credentials'} busy={saving} onCancel={onDismiss} onAction={() => void save()} />}
    >
      <Form errorText={saveError}>
        <SpaceBetween size="l">
          <ColumnLayout columns={2}>
            <FormField label="Name" errorText={errors.name} description="How tasks and this list call these credentials.">
              <Input placeholder="e.g. Production account" {...bind('name')} />
            </FormField>
            <FormField
              label="Kind"
              errorText={errors.kind}
              description={editing ? 'A saved profile keeps its kind.' : kindDescriptions[draft.kind]}
            >
              <Select
                selectedOption={option(draft.kind, kindLabels[draft.kind])}
                disabled={editing}
                options={credentialKinds.map((k) => option(k, kindLabels[k]))}
                onChange={(e) => {
                  const kind = asCredentialKind(e.detail.selectedOption.value ?? '');
                  // A fresh draft of the new kind, keeping the name typed so far.
                  const next = { ...emptyDraft(kind), name: draft.name };
                  setDraft(next);
                  setErrors(submitted ? validateDraft(next, ctx) : {});
                }}
              />
            </FormField>
          </ColumnLayout>
          {kindFields}
          {!needsSecret(draft) && secretStored && (
            <Alert type="info">Saving removes the stored access keys from the keychain: the AWS CLI profile brings its own.</Alert>
          )}
        </SpaceBetween>
      </Form>
    </Modal>
  );
}

interface FieldProps {
  errors: DraftErrors;
  bind: Bind;
}

function AccessKeyFields({ errors, bind, stored, aws }: FieldProps & { stored: boolean; aws: boolean }) {
  return (
    <SpaceBetween size="l">
      <ColumnLayout columns={2}>
        <FormField label="Access key ID" errorText={errors.accessKeyId} description={aws ? 'Starts with AKIA or ASIA.' : undefined}>
          <Input autoComplete={false} placeholder={aws ? 'AKIAIOSFODNN7EXAMPLE' : undefined} {...bind('accessKeyId')} />
        </FormField>
        <FormField
          label={aws ? 'Secret access key' : 'Secret key'}
          errorText={errors.secretAccessKey}
          description={stored ? keepSecretHint : 'Kept in your keychain, never shown again.'}
        >
          <SecretInput stored={stored} {...bind('secretAccessKey')} />
        </FormField>
      </ColumnLayout>
      {aws && (
        <FormField
          label={noted('Session token', 'only for temporary keys (ASIA…)')}
          errorText={errors.sessionToken}
        >
          <SecretInput {...bind('sessionToken')} />
        </FormField>
      )}
    </SpaceBetween>
  );
}

function TestBucketField({ errors, bind }: FieldProps) {
  return (
    <FormField
      label={noted('Bucket to test')}
      errorText={errors.testBucket}
      description="Test connection checks this bucket instead of listing all buckets: for keys that may only reach some buckets."
    >
      <Input {...bind('testBucket')} />
    </FormField>
  );
}
