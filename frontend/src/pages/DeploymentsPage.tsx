import { useCallback, useEffect, useRef, useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Button from '@cloudscape-design/components/button';
import Flashbar, { type FlashbarProps } from '@cloudscape-design/components/flashbar';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { errorMessage, whenSettled } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { Account, DeployInfo, Listing, Operation } from '../deployments/api';
import { DeployProgress } from '../deployments/DeployProgress';
import { DeployWizard, defaultControlPlane, type DeployTarget } from '../deployments/DeployWizard';
import { DeploymentsTable, rowsOf, type DeploymentRow } from '../deployments/DeploymentsTable';
import { deploymentName } from '../deployments/format';
import { RemoveModal } from '../deployments/RemoveModal';
import { UpgradeModal, type UpgradeTarget } from '../deployments/UpgradeModal';
import { useOperations } from '../deployments/useOperations';

/** The control plane a stack name belongs to ("thub-control-plane" → "thub"), for operations started elsewhere. */
export function controlPlaneOf(stack: string): string {
  return stack.endsWith('-control-plane') ? stack.slice(0, -'-control-plane'.length) : defaultControlPlane;
}

export function DeploymentsPage() {
  const backend = useBackend();
  const [info, setInfo] = useState<DeployInfo | null>(null);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [regions, setRegions] = useState<Record<string, string[]>>({});
  const [listings, setListings] = useState<Listing[]>([]);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState('');
  const [selected, setSelected] = useState<DeploymentRow | null>(null);
  const [wizard, setWizard] = useState<Partial<DeployTarget> | null>(null);
  const [removing, setRemoving] = useState<DeploymentRow | null>(null);
  const [upgrading, setUpgrading] = useState<UpgradeTarget | null>(null);
  const [flash, setFlash] = useState<FlashbarProps.MessageDefinition[]>([]);
  // What "Delete and retry" and "Deploy again" redeploy, per operation.
  const retry = useRef(new Map<string, Partial<DeployTarget>>());

  // Sets state only when the calls settle (the effect below runs it on open).
  const fetchAll = useCallback(() => {
    const cancels = [
      whenSettled(backend.deploymentsInfo(), setInfo, () => undefined),
      whenSettled(backend.deploymentAccounts(), setAccounts, setLoadError),
      whenSettled(
        backend.deploymentsOverview(),
        (l) => {
          setListings(l);
          setLoadError('');
          setLoading(false);
        },
        (e) => {
          setLoadError(e);
          setLoading(false);
        },
      ),
    ];
    return () => {
      for (const c of cancels) c();
    };
  }, [backend]);

  useEffect(() => fetchAll(), [fetchAll]);
  const load = useCallback(() => {
    setLoading(true);
    fetchAll();
  }, [fetchAll]);
  useEffect(() => whenSettled(backend.credentialFormOptions(), (o) => { setRegions(o.regions); }, () => undefined), [backend]);

  const onEnded = useCallback(() => {
    load();
  }, [load]);
  const { ops, add, dismiss } = useOperations(onEnded);

  const rows = rowsOf(listings, accounts);
  const sel = selected ? (rows.find((r) => r.key === selected.key) ?? null) : null;
  const problems = listings.filter((l) => l.problem);
  const nameOf = (id: string) => accounts.find((a) => a.profileId === id)?.name ?? id;

  const started = (op: Operation, target: Partial<DeployTarget>) => {
    retry.current.set(op.id, target);
    add(op);
    setWizard(null);
  };

  const deleteAndRetry = async (target: Partial<DeployTarget> & { profileId: string; region: string; name: string }, taskId = '') => {
    try {
      const op = await backend.deleteFailed(target.profileId, target.region, target.name, taskId);
      started(op, target);
    } catch (e) {
      setFlash([{ id: 'delete-failed', type: 'error', header: 'Delete and retry could not start', content: errorMessage(e), dismissible: true, onDismiss: () => { setFlash([]); } }]);
    }
  };

  const targetOf = (op: Operation): Partial<DeployTarget> & { profileId: string; region: string; name: string } => ({
    profileId: op.profileId,
    region: op.region,
    name: controlPlaneOf(op.stack),
    ...retry.current.get(op.id),
  });

  const opActions = (op: Operation) => {
    if (!op.done) return undefined;
    if (op.deleteAndRetry) return <Button onClick={() => void deleteAndRetry(targetOf(op))}>Delete and retry</Button>;
    if (op.kind === 'delete-failed' && op.succeeded) return <Button onClick={() => { setWizard(targetOf(op)); }}>Deploy again</Button>;
    return undefined;
  };

  if (wizard) {
    return (
      <DeployWizard
        accounts={accounts}
        regions={regions}
        initial={wizard}
        onStarted={started}
        onDeleteAndRetry={(t) => {
          setWizard(null);
          void deleteAndRetry(t);
        }}
        onCancel={() => { setWizard(null); }}
      />
    );
  }

  const canDeploy = info?.hasAgents ?? false;
  const deployButton = (
    <Button variant="primary" disabled={!canDeploy} disabledReason={info?.problem} onClick={() => { setWizard({}); }}>
      Deploy control plane
    </Button>
  );
  const d = sel?.d;
  const busy = d ? ops.some((o) => !o.done && o.stack === d.stack) : false;

  return (
    <SpaceBetween size="l">
      {flash.length > 0 && <Flashbar items={flash} />}
      {info && !info.hasAgents && (
        <Alert type="info" header="This build cannot deploy">
          {info.problem}
        </Alert>
      )}
      {loadError !== '' && (
        <Alert type="error" header="The deployments could not be read">
          {loadError}
        </Alert>
      )}
      {problems.map((l) => (
        <Alert key={`${l.profileId}|${l.region}`} type="warning" header={`${nameOf(l.profileId)} in ${l.region} could not be read`}>
          {l.problem}
        </Alert>
      ))}
      {ops.map((op) => (
        <DeployProgress
          key={op.id}
          op={op}
          actions={op.deleteAndRetry ? opActions(op) : undefined}
          headerActions={
            <SpaceBetween direction="horizontal" size="xs">
              {!op.deleteAndRetry && opActions(op)}
              {op.done && (
                <Button variant="icon" iconName="close" ariaLabel={`Dismiss ${op.stack}`} onClick={() => { dismiss(op.id); }} />
              )}
            </SpaceBetween>
          }
        />
      ))}
      <DeploymentsTable
        rows={rows}
        loading={loading && listings.length === 0}
        selected={sel}
        onSelect={setSelected}
        emptyAction={deployButton}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button iconName="refresh" ariaLabel="Refresh" loading={loading} onClick={load} />
            {d?.deleteAndRetry && sel && (
              <Button
                disabled={busy}
                onClick={() => void deleteAndRetry({ profileId: sel.profileId, region: sel.region, name: d.controlPlane }, d.kind === 'control-plane' ? '' : (d.taskId ?? ''))}
              >
                Delete and retry
              </Button>
            )}
            <Button
              disabled={!d?.upgradeAvailable || busy}
              disabledReason={d ? 'It runs the agent this app carries.' : 'Choose a deployment.'}
              onClick={() => {
                if (sel)
                  setUpgrading({
                    profileId: sel.profileId,
                    region: sel.region,
                    controlPlane: sel.d.controlPlane,
                    taskId: sel.d.kind === 'control-plane' ? '' : (sel.d.taskId ?? ''),
                    label: deploymentName(sel.d),
                  });
              }}
            >
              Upgrade
            </Button>
            <Button
              disabled={!d?.stack || busy}
              disabledReason={d ? 'Its stack is gone.' : 'Choose a deployment.'}
              onClick={() => { setRemoving(sel); }}
            >
              Remove
            </Button>
            {deployButton}
          </SpaceBetween>
        }
      />
      {removing && (
        <RemoveModal
          target={{
            profileId: removing.profileId,
            region: removing.region,
            controlPlane: removing.d.controlPlane,
            taskId: removing.d.kind === 'control-plane' ? '' : removing.d.taskId,
          }}
          label={deploymentName(removing.d)}
          onDone={(op) => {
            add(op);
            setRemoving(null);
          }}
          onClose={() => { setRemoving(null); }}
        />
      )}
      {upgrading && (
        <UpgradeModal
          target={upgrading}
          onStarted={(op) => {
            add(op);
            setUpgrading(null);
          }}
          onClose={() => { setUpgrading(null); }}
        />
      )}
    </SpaceBetween>
  );
}
