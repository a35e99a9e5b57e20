// Upgrading a deployment to the agent and templates this app carries: the change
// set's preview, then Upgrade executes it.
import { useEffect, useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Modal from '@cloudscape-design/components/modal';
import Spinner from '@cloudscape-design/components/spinner';
import { whenSettled } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import { ModalFooter } from '../shell/ModalFooter';
import type { Operation, Plan } from './api';
import { ChangesPreview } from './ChangesPreview';
import { useStartOperation } from './useOperations';

export interface UpgradeTarget {
  profileId: string;
  region: string;
  controlPlane: string;
  taskId: string;
  label: string;
}

export function UpgradeModal({ target, onStarted, onClose }: { target: UpgradeTarget; onStarted: (op: Operation) => void; onClose: () => void }) {
  const backend = useBackend();
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState('');
  const { busy, start } = useStartOperation(onStarted, setError);

  useEffect(
    () => whenSettled(backend.planUpgrade(target.profileId, target.region, target.controlPlane, target.taskId), setPlan, setError),
    [backend, target],
  );

  const close = () => {
    if (plan?.planId) void backend.discardPlan(plan.planId).catch(() => undefined);
    onClose();
  };
  const upgrade = async () => {
    const id = plan?.planId;
    if (id) await start(() => backend.executePlan(id));
  };

  return (
    <Modal
      visible
      size="large"
      onDismiss={close}
      header={`Upgrade ${target.label}`}
      footer={<ModalFooter action="Upgrade" busy={busy || (plan === null && error === '')} onAction={() => void upgrade()} onCancel={close} />}
    >
      {error !== '' && <Alert type="error">{error}</Alert>}
      {plan === null && error === '' && <Spinner size="large" />}
      {plan && <ChangesPreview plan={plan} />}
    </Modal>
  );
}
