// The wizard's shared field components: Cloudscape form fields that show the Go side's
// message for their field once it was left or its step's Next was tried.
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Link from '@cloudscape-design/components/link';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import Textarea from '@cloudscape-design/components/textarea';
import Tiles, { type TilesProps } from '@cloudscape-design/components/tiles';
import type { CredentialProfile } from '../../api/backend';
import type { CloudFormOptions } from '../../api/cloud';
import type { TaskFormOptions } from '../../api/tasks';
import { href } from '../../shell/sections';
import type { Draft } from './draft';

/** Changes the draft (on a copy). */
export type Update = (fn: (d: Draft) => void) => void;

/** How a field finds its message and says it was left. */
export interface Check {
  /** The message to show for a Go field path ("s3.source.bucket"), if any. */
  error: (field: string) => string | undefined;
  touch: (field: string) => void;
}

/** What every step gets. */
export interface StepProps {
  d: Draft;
  update: Update;
  profiles: CredentialProfile[];
  regions: Record<string, string[]>;
  options: TaskFormOptions;
  /** The cloud choices (null until loaded, or when they could not be). */
  cloudOptions: CloudFormOptions | null;
  fp: Check;
}

type StringKeys<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T];

/** value and onChange of a text field bound to one string of obj, changed through edit. */
export function binder<T>(obj: T, edit: (fn: (o: T) => void) => void) {
  return (key: StringKeys<T>) => ({
    value: obj[key] as string,
    onChange: (v: string) => {
      edit((o) => {
        o[key] = v as T[StringKeys<T>];
      });
    },
  });
}

interface TextProps extends Check {
  /** Go field path. */
  field: string;
  label: string;
  description?: ReactNode;
  constraint?: ReactNode;
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
}

/** A text input, or with rows a textarea; its message shows once it was left. */
export function TextField({ field, error, touch, label, description, constraint, value, onChange, placeholder, rows }: TextProps & { rows?: number }) {
  const control = {
    value,
    placeholder,
    ariaLabel: label,
    onChange: (e: { detail: { value: string } }) => {
      onChange(e.detail.value);
    },
    onBlur: () => {
      touch(field);
    },
  };
  return (
    <FormField label={label} description={description} constraintText={constraint} errorText={error(field)}>
      {rows ? <Textarea {...control} rows={rows} spellcheck={false} /> : <Input {...control} />}
    </FormField>
  );
}

/** A textarea of one value per line. */
export function LinesField({ rows = 3, ...props }: TextProps & { rows?: number }) {
  return <TextField {...props} rows={rows} />;
}

export function optionList(values: string[], labels?: Record<string, string>): SelectProps.Option[] {
  return values.map((v) => ({ value: v, label: labels?.[v] ?? v }));
}

interface SelectFieldProps {
  label: string;
  description?: ReactNode;
  errorText?: string;
  options: SelectProps.Option[];
  value: string;
  onChange: (value: string) => void;
  ariaLabel: string;
  placeholder?: string;
  empty?: string;
  /** A value that is not among the options is shown as it is (a region typed elsewhere). */
  showUnlisted?: boolean;
  filtering?: boolean;
}

export function SelectField({ label, description, errorText, options, value, onChange, ariaLabel, placeholder, empty, showUnlisted, filtering }: SelectFieldProps) {
  const chosen = options.find((o) => o.value === value) ?? (showUnlisted ? { label: value, value } : null);
  return (
    <FormField label={label} description={description} errorText={errorText}>
      <Select
        selectedOption={chosen}
        options={options}
        placeholder={placeholder}
        empty={empty}
        filteringType={filtering ? 'auto' : undefined}
        ariaLabel={ariaLabel}
        onChange={(e) => {
          onChange(e.detail.selectedOption.value ?? '');
        }}
      />
    </FormField>
  );
}

/** The region choices for a profile: its default, then the regions of its partition. */
export function regionOptions(profile: CredentialProfile | undefined, regions: Record<string, string[]>): SelectProps.Option[] {
  return [
    { label: `Profile default${profile?.region ? ` (${profile.region})` : ''}`, value: '' },
    ...(regions[profile?.partition || 'aws'] ?? []).map((r) => ({ label: r, value: r })),
  ];
}

export function profileOptions(profiles: CredentialProfile[], kinds: CredentialProfile['kind'][]): SelectProps.Option[] {
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

export function AddCredentialsHint() {
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

/** A choice between kinds (bucket or folder, registry or ECR) as tiles. */
export function KindTiles({ label, errorText, ariaLabel, value, items, onChange }: {
  label: string;
  errorText?: string;
  ariaLabel: string;
  value: string;
  items: readonly TilesProps.TilesDefinition[];
  onChange: (value: string) => void;
}) {
  return (
    <FormField label={label} errorText={errorText}>
      <Tiles
        value={value}
        ariaLabel={ariaLabel}
        onChange={(e) => {
          onChange(e.detail.value);
        }}
        items={items}
      />
    </FormField>
  );
}
