// Task actions shared by the list and the detail page: start, stop, resume, retry failed,
// clone, delete (with a confirmation; a cloud task's with the keep-data choice), and for
// cloud tasks edit (a stack update through its preview) and deploy again, for local ones
// Move to AWS; each reporting its outcome in a flash message.
import { useCallback, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import type { FlashbarProps } from '@cloudscape-design/components/flashbar';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { errorMessage } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { TaskView } from '../api/tasks';
import { ModalFooter } from '../shell/ModalFooter';
import { DeleteCloudModal, EditCloudModal, MoveToAWSModal } from './cloud/CloudModals';

export type TaskAction = 'start' | 'stop' | 'resume' | 'retry' | 'clone' | 'delete' | 'edit' | 'redeploy' | 'move';

export const actionLabel: Record<TaskAction, string> = {
  start: 'Start',
  stop: 'Stop',
  resume: 'Resume',
  retry: 'Retry failed',
  clone: 'Clone',
  delete: 'Delete',
  edit: 'Edit',
  redeploy: 'Deploy again',
  move: 'Move to AWS',
};

/** Why an action is not available now ('' when it is). */
export function disabledReason(task: TaskView, action: TaskAction): string {
  if (task.problem) return task.problem;
  switch (action) {
    case 'start':
      return task.canStart ? '' : 'The task is running; stop it first.';
    case 'stop':
      return task.canStop ? '' : 'The task is not running.';
    case 'resume':
      return task.canResume ? '' : 'There is no stopped or interrupted run to resume.';
    case 'retry':
      return task.canRetry ? '' : 'The last run has no failed items (or is still running).';
    case 'delete':
      if (task.engine === 'cloud') return task.cloud?.canDelete ? '' : 'Wait until the stack operation under way has ended.';
      return task.status === 'STOPPING' ? 'Wait until the task has stopped.' : '';
    case 'edit':
      if (task.engine !== 'cloud') return 'Only a cloud task is edited here; clone a local task to change it.';
      return task.cloud?.canEdit ? '' : 'Wait until the stack operation under way has ended.';
    case 'redeploy':
      if (task.engine !== 'cloud') return 'Only a cloud task has a stack.';
      return task.cloud?.canRedeploy ? '' : 'The stack is deployed (or being deployed).';
    case 'move':
      if (task.engine === 'cloud') return 'The task runs in AWS already.';
      return task.active || task.status === 'STOPPING' ? 'The task is running; stop it first.' : '';
    default:
      return '';
  }
}

export interface TaskActions {
  busy: boolean;
  flashes: FlashbarProps.MessageDefinition[];
  run: (task: TaskView, action: TaskAction) => void;
  /** The delete confirmation; render it once in the page. */
  confirm: React.ReactNode;
}

/** Runs task actions with feedback; onDone receives the action and, for clone, the new task's id. */
export function useTaskActions(onDone?: (action: TaskAction, task: TaskView, newId?: string) => void): TaskActions {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [flashes, setFlashes] = useState<FlashbarProps.MessageDefinition[]>([]);
  const [deleting, setDeleting] = useState<TaskView | null>(null);
  const [cloudModal, setCloudModal] = useState<{ kind: 'delete' | 'edit' | 'move'; task: TaskView } | null>(null);
  // The confirmation mounts the first time it is needed and then stays: a hidden Modal
  // still costs its portals (and their observers) on every page that renders it.
  const [confirmMounted, setConfirmMounted] = useState(false);

  const flash = useCallback((type: FlashbarProps.Type, content: string) => {
    const id = `${Date.now()}-${Math.random()}`;
    setFlashes((f) => [
      ...f.slice(-2),
      {
        id,
        type,
        content,
        dismissible: true,
        dismissLabel: 'Dismiss',
        onDismiss: () => {
          setFlashes((all) => all.filter((x) => x.id !== id));
        },
      },
    ]);
  }, []);

  const perform = useCallback(
    async (task: TaskView, action: TaskAction) => {
      setBusy(true);
      try {
        switch (action) {
          case 'start':
            await backend.startTask(task.id);
            flash('info', `Started "${task.name}".`);
            break;
          case 'stop':
            await backend.stopTask(task.id);
            flash('info', `Stopping "${task.name}". You can resume it later.`);
            break;
          case 'resume':
            await backend.resumeTask(task.id);
            flash('info', `Resumed "${task.name}".`);
            break;
          case 'retry':
            await backend.retryFailed(task.id);
            flash('info', `Retrying the failed items of "${task.name}".`);
            break;
          case 'clone': {
            const res = await backend.cloneTask(task.id, '');
            if (!res.ok) {
              flash('error', res.fieldErrors.map((f) => f.message).join(' '));
              return;
            }
            flash('success', `Created "${res.task.name}" (not started).`);
            onDone?.(action, task, res.task.id);
            return;
          }
          case 'delete':
            await backend.deleteTask(task.id);
            flash('success', `Deleted "${task.name}".`);
            break;
          case 'redeploy':
            await backend.redeploy(task.id, true);
            flash('info', `Deploying "${task.name}" again.`);
            break;
          case 'edit':
          case 'move':
            return; // through their modals
        }
        onDone?.(action, task);
      } catch (e: unknown) {
        flash('error', errorMessage(e));
      } finally {
        setBusy(false);
      }
    },
    [backend, flash, onDone],
  );

  const deleteCloud = useCallback(
    async (task: TaskView, keepData: boolean) => {
      setBusy(true);
      try {
        await backend.deleteCloudTask(task.id, keepData);
        setCloudModal(null);
        flash('success', `Deleting "${task.name}" and its stack${keepData ? ' (its table is kept)' : ''}.`);
        onDone?.('delete', task);
      } catch (e: unknown) {
        flash('error', errorMessage(e));
        setCloudModal(null);
      } finally {
        setBusy(false);
      }
    },
    [backend, flash, onDone],
  );

  const run = useCallback(
    (task: TaskView, action: TaskAction) => {
      if ((action === 'delete' && task.engine === 'cloud') || action === 'edit' || action === 'move') {
        setCloudModal({ kind: action, task });
        return;
      }
      if (action === 'delete') {
        setConfirmMounted(true);
        setDeleting(task);
        return;
      }
      void perform(task, action);
    },
    [perform],
  );

  const confirm = confirmMounted && (
    <Modal
      visible={deleting !== null}
      header="Delete task"
      onDismiss={() => {
        setDeleting(null);
      }}
      footer={
        <ModalFooter
          action="Delete"
          busy={busy}
          onCancel={() => {
            setDeleting(null);
          }}
          onAction={() => {
            const t = deleting;
            setDeleting(null);
            if (t) void perform(t, 'delete');
          }}
        />
      }
    >
      {deleting && (
        <SpaceBetween size="s">
          <Box>
            Delete <b>{deleting.name}</b>? {deleting.active ? 'Its run is stopped first. ' : ''}Its records and log are
            removed from this computer. Objects and images already copied stay where they are.
          </Box>
        </SpaceBetween>
      )}
    </Modal>
  );

  const cm = cloudModal;
  const close = () => {
    setCloudModal(null);
  };
  const cloudConfirm =
    cm &&
    (cm.kind === 'delete' ? (
      <DeleteCloudModal task={cm.task} busy={busy} onCancel={close} onDelete={(keep) => void deleteCloud(cm.task, keep)} />
    ) : cm.kind === 'edit' ? (
      <EditCloudModal
        task={cm.task}
        onClose={close}
        onApplied={() => {
          close();
          flash('info', `Updating the stack of "${cm.task.name}".`);
        }}
      />
    ) : (
      <MoveToAWSModal
        task={cm.task}
        onClose={close}
        onMoved={(t) => {
          close();
          flash('success', `"${t.name}" now runs in AWS: its stack is being deployed.`);
          onDone?.('move', cm.task, t.id);
        }}
      />
    ));

  return {
    busy,
    flashes,
    run,
    confirm: (
      <>
        {confirm}
        {cloudConfirm}
      </>
    ),
  };
}
