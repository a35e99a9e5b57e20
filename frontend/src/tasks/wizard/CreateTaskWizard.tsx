// The wizard that creates a task, on this computer or in an AWS account (a cloud task). Every field is checked by the Go side
// (TasksService.Validate, the rules the task is created with) while the user types and
// when a step's Next is pressed; a message shows once its field was left or its step's
// Next was tried.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Wizard from '@cloudscape-design/components/wizard';
import { errorMessage, whenSettled, type CredentialProfile } from '../../api/backend';
import { useBackend } from '../../api/BackendContext';
import type { CloudFormOptions } from '../../api/cloud';
import type { TaskFormOptions } from '../../api/tasks';
import { useCloudReview } from './CloudReview';
import { DestinationStep } from './DestinationStep';
import { errorsOf, newDraft, stepFields, stepOf, stepOrder, toDefinition, type Draft, type Errors, type StepId } from './draft';
import type { Check, StepProps, Update } from './fields';
import { OptionsStep } from './OptionsStep';
import { ReviewStep, type PlanState } from './ReviewStep';
import { SourceStep } from './SourceStep';
import { TypeStep } from './TypeStep';
import { useTaskValidation } from './useTaskValidation';

const stepTitles: Record<StepId, string> = {
  type: 'Choose a task type',
  source: 'Source',
  destination: 'Destination',
  options: 'Options',
  review: 'Review and create',
};

/** The fields of errs that belong to step. */
function stepErrors(step: StepId, errs: Errors): string[] {
  return Object.keys(errs).filter((f) => stepOf(f) === step);
}

export function CreateTaskWizard() {
  const backend = useBackend();
  const navigate = useNavigate();
  const [options, setOptions] = useState<TaskFormOptions | null>(null);
  const [cloudOptions, setCloudOptions] = useState<CloudFormOptions | null>(null);
  const [profiles, setProfiles] = useState<CredentialProfile[]>([]);
  const [regions, setRegions] = useState<Record<string, string[]>>({});
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>(() => newDraft(null));
  const [active, setActive] = useState(0);
  const [attempted, setAttempted] = useState<Set<StepId>>(new Set());
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [checking, setChecking] = useState(false);
  const [plan, setPlan] = useState<PlanState>({ state: 'idle' });
  const [submitError, setSubmitError] = useState<string | null>(null);
  const { errors, answered, check } = useTaskValidation(backend, draft, options);

  useEffect(
    () =>
      whenSettled(
        Promise.all([backend.taskFormOptions(), backend.listCredentials(), backend.credentialFormOptions()]),
        ([o, creds, credOpts]) => {
          setOptions(o);
          setDraft(newDraft(o));
          setProfiles(creds.profiles);
          setRegions(credOpts.regions);
        },
        setLoadError,
      ),
    [backend],
  );
  // Without them the wizard offers the cloud with Go's defaults (the fields say so).
  useEffect(
    () =>
      whenSettled(backend.cloudFormOptions(), setCloudOptions, () => {
        setCloudOptions(null);
      }),
    [backend],
  );
  const reviewShown = stepOrder[active] === 'review';
  const cloudDef = useMemo(() => (options && draft.engine === 'cloud' ? toDefinition(draft, options) : null), [draft, options]);
  const cloudReview = useCloudReview(backend, draft.name.trim(), cloudDef, reviewShown, plan);

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

  const error = useCallback(
    (field: string): string | undefined => {
      const msg = errors[field];
      return msg && (touched.has(field) || attempted.has(stepOf(field))) ? msg : undefined;
    },
    [errors, touched, attempted],
  );
  const fp: Check = useMemo(() => ({ error, touch }), [error, touch]);

  const runPlan = useCallback(() => {
    if (!options) return;
    setPlan({ state: 'loading' });
    backend.planTask(toDefinition(draft, options)).then(
      (res) => {
        if (res.ok) setPlan({ state: 'done', plan: res.plan });
        else setPlan({ state: 'error', message: res.fieldErrors.map((f) => f.message).join(' ') });
      },
      (e: unknown) => {
        setPlan({ state: 'error', message: errorMessage(e) });
      },
    );
  }, [backend, draft, options]);

  /** Shows the first step (up to the current one) that errs names; false when there is none. */
  const showFirstProblem = useCallback((errs: Errors, upTo: number): boolean => {
    const first = stepOrder.slice(0, upTo + 1).find((s) => stepErrors(s, errs).length > 0);
    if (!first) return false;
    setActive(stepOrder.indexOf(first));
    return true;
  }, []);

  const goTo = useCallback(
    async (index: number) => {
      if (!options) return;
      if (index <= active) {
        setActive(index);
        return;
      }
      setAttempted((a) => new Set([...a, ...stepOrder.slice(0, active + 1)]));
      setChecking(true);
      try {
        if (showFirstProblem(await check(draft, options), active)) return;
        setActive(index);
        if (stepOrder[index] === 'review' && plan.state === 'idle') runPlan();
      } catch (e: unknown) {
        setSubmitError(errorMessage(e));
      } finally {
        setChecking(false);
      }
    },
    [active, check, draft, options, plan.state, runPlan, showFirstProblem],
  );

  const submit = useCallback(async () => {
    if (!options) return;
    setAttempted(new Set(stepOrder));
    setChecking(true);
    setSubmitError(null);
    try {
      const def = toDefinition(draft, options);
      const p = cloudReview.preview;
      const withControlPlane = p.state === 'done' && p.value.controlPlaneMissing && cloudReview.deployControlPlane;
      if (draft.engine === 'cloud' && p.state === 'done' && p.value.controlPlaneMissing && !cloudReview.deployControlPlane) {
        setSubmitError('This account and Region have no control plane: tick "Deploy the control plane as part of creating this task", or choose an account and Region that have one.');
        return;
      }
      const res =
        draft.engine === 'cloud'
          ? await backend.createCloudTask(draft.name.trim(), def, draft.start, withControlPlane)
          : await backend.createTask(draft.name.trim(), def, draft.start);
      if (!res.ok) {
        const errs = errorsOf(draft, options, res.fieldErrors);
        answered(draft, options, errs);
        showFirstProblem(errs, stepOrder.length - 1);
        return;
      }
      void navigate(`/tasks/${res.task.id}`);
    } catch (e: unknown) {
      setSubmitError(errorMessage(e));
    } finally {
      setChecking(false);
    }
  }, [answered, backend, cloudReview, draft, navigate, options, showFirstProblem]);

  if (loadError) {
    return (
      <Alert type="error" header="The task wizard could not load">
        {loadError}
      </Alert>
    );
  }
  if (!options) return <StatusIndicator type="loading">Loading</StatusIndicator>;

  const props: StepProps = { d: draft, update, profiles, regions, options, cloudOptions, fp };
  const isS3 = draft.type === 'S3';
  // Messages for fields no step shows (the review lists them).
  const unplaced = Object.entries(errors).filter(([f]) => !stepFields[stepOf(f)].includes(f));

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
      submitButtonText={
        draft.engine !== 'cloud'
          ? 'Create task'
          : cloudReview.preview.state === 'done' && cloudReview.preview.value.controlPlaneMissing && cloudReview.deployControlPlane
            ? 'Deploy control plane and task'
            : 'Create and deploy'
      }
      i18nStrings={{
        stepNumberLabel: (n) => `Step ${String(n)}`,
        collapsedStepsLabel: (n, total) => `Step ${String(n)} of ${String(total)}`,
        navigationAriaLabel: 'Steps',
        cancelButton: 'Cancel',
        previousButton: 'Previous',
        nextButton: 'Next',
        optional: 'optional',
      }}
      steps={[
        {
          title: stepTitles.type,
          description: 'A task copies S3 objects or container images, on this computer or in your AWS account.',
          content: <TypeStep {...props} />,
        },
        {
          title: stepTitles.source,
          description: isS3 ? 'Where the objects are.' : 'Which images to copy.',
          content: <SourceStep {...props} />,
        },
        {
          title: stepTitles.destination,
          description: isS3 ? 'Where the copies go.' : 'Where the images go.',
          content: <DestinationStep {...props} />,
        },
        {
          title: stepTitles.options,
          description: 'All optional: the defaults copy everything that differs.',
          isOptional: true,
          content: <OptionsStep {...props} />,
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
              {unplaced.length > 0 && (
                <Alert type="error" header="Fix these first">
                  {unplaced.map(([f, m]) => (
                    <div key={f}>{m}</div>
                  ))}
                </Alert>
              )}
              <ReviewStep {...props} plan={plan} onPlan={runPlan} cloud={cloudReview} />
            </SpaceBetween>
          ),
        },
      ]}
    />
  );
}
