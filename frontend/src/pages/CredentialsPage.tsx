import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import { EmptyState } from './EmptyState';

/** One credentials profile; secrets never reach the UI, only whether they are set. */
export interface CredentialRow {
  id: string;
  name: string;
  kind: 'aws' | 's3-compatible' | 'registry';
  target: string;
  secretSet: boolean;
}

const noProfilesYet = 'Adding credentials arrives in the next release.';

const kindText: Record<CredentialRow['kind'], string> = {
  aws: 'AWS account',
  's3-compatible': 'S3-compatible store',
  registry: 'Container registry',
};

const columns: TableProps.ColumnDefinition<CredentialRow>[] = [
  { id: 'name', header: 'Name', cell: (c) => c.name, isRowHeader: true },
  { id: 'kind', header: 'Kind', cell: (c) => kindText[c.kind] },
  { id: 'target', header: 'Region, endpoint or host', cell: (c) => c.target },
  { id: 'secret', header: 'Secret', cell: (c) => (c.secretSet ? 'Stored in keychain' : 'Not set') },
];

export function CredentialsPage() {
  const profiles: CredentialRow[] = [];
  return (
    <Table<CredentialRow>
      variant="full-page"
      items={profiles}
      columnDefinitions={columns}
      trackBy="id"
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={`(${profiles.length})`}
          description="Where your data comes from and goes to. Secrets are kept in your operating system's keychain, never in files."
          actions={
            <Button variant="primary" disabled disabledReason={noProfilesYet}>
              Add credentials
            </Button>
          }
        >
          Credentials
        </Header>
      }
      empty={
        <EmptyState title="No credentials">
          Add a profile for each place you copy from or to: an AWS account (access keys, an AWS CLI profile or SSO), an
          S3-compatible store such as Aliyun OSS, Tencent COS or Google Cloud Storage, or a container registry. Each
          profile can be tested before you use it.
        </EmptyState>
      }
    />
  );
}
