// Removing a control plane or a task's stack: what goes and what stays, with the
// choice to keep the data (a task's table, a control plane's tasks table and key).
import { useEffect, useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import { whenSettled } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import { ModalFooter } from '../shell/ModalFooter';
import type { DeleteItem, DeleteResult, Operation, RemoveRequest } from './api';
import { useStartOperation } from './useOperations';

function Items({ title, items }: { title: string; items: DeleteItem[] }) {
  return (
    <div>
      <Box variant="awsui-key-label">{title}</Box>
      {items.length === 0 ? (
        <Box color="text-body-secondary">Nothing</Box>
      ) : (
        <ul aria-label={title}>
          {items.map((i) => (
            <li key={`${i.what} ${i.name}`}>
              {i.what} <Box variant="code">{i.name}</Box>
              {i.why ? ` (${i.why})` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RemoveModal({ target, label, onDone, onClose }: { target: Omit<RemoveRequest, 'keepData'>; label: string; onDone: (op: Operation) => void; onClose: () => void }) {
  const backend = useBackend();
  const [keepData, setKeepData] = useState(true);
  // The preview of each keep-data choice as it arrives.
  const [previews, setPreviews] = useState<{ keep: boolean; r: DeleteResult }[]>([]);
  const [error, setError] = useState('');
  const preview = previews.find((p) => p.keep === keepData)?.r ?? null;
  const { busy, start } = useStartOperation(onDone, setError);

  useEffect(
    () =>
      whenSettled(
        backend.removePreview({ ...target, keepData }),
        (r) => {
          setPreviews((l) => [...l.filter((p) => p.keep !== keepData), { keep: keepData, r }]);
          setError('');
        },
        setError,
      ),
    [backend, target, keepData],
  );

  const remove = () => start(() => backend.removeDeployment({ ...target, keepData }));

  return (
    <Modal
      visible
      onDismiss={onClose}
      header={`Remove ${label}?`}
      footer={<ModalFooter action="Remove" busy={busy} onAction={() => void remove()} onCancel={onClose} />}
    >
      <SpaceBetween size="l">
        <Box>
          {target.taskId
            ? 'The task stops running in the cloud: its workers, queues and schedule go.'
            : 'Every cloud task of this control plane must be removed first; its shared resources go.'}
        </Box>
        <Checkbox checked={keepData} onChange={({ detail }) => { setKeepData(detail.checked); }} description="Deploying again adopts what is kept.">
          Keep the data (tables with the records and reports, the key)
        </Checkbox>
        {error !== '' && <Alert type="error">{error}</Alert>}
        {preview === null && error === '' && <Spinner />}
        {preview && (
          <ColumnLayout columns={2} variant="text-grid">
            <Items title="Deleted" items={preview.removes} />
            <Items title="Kept" items={preview.survives} />
          </ColumnLayout>
        )}
      </SpaceBetween>
    </Modal>
  );
}
