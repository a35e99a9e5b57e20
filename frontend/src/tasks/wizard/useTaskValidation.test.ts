import { act, renderHook } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { FieldError } from '../../api/models';
import { newDraft, type Draft } from './draft';
import { useTaskValidation } from './useTaskValidation';

const offered = { maxConcurrency: 256 };

function draft(bucket: string, name = 'backup'): Draft {
  const d = newDraft(null);
  d.name = name;
  d.s3.destination = { kind: 's3', profileId: 'gw', bucket, prefix: '', region: '', path: '' };
  return d;
}

describe('useTaskValidation', () => {
  it("keeps Go's message only while the value it is about is still there", async () => {
    const answer: FieldError[] = [
      { field: 'name', message: 'a task called "Backup" already exists; choose another name' },
      { field: 's3.destination.bucket', message: 'use lowercase letters, digits, dots and hyphens' },
    ];
    const backend = { validateTask: vi.fn(() => Promise.resolve(answer)) };
    // Without the form's options nothing is checked on its own: only what check() asks.
    const { result, rerender } = renderHook(({ d }) => useTaskValidation(backend, d, null), { initialProps: { d: draft('Bad_Bucket') } });
    expect(result.current.errors).toEqual({});

    await act(() => result.current.check(draft('Bad_Bucket'), offered));
    expect(backend.validateTask).toHaveBeenCalledTimes(1);
    expect(Object.keys(result.current.errors)).toEqual(['name', 's3.destination.bucket']);

    // The bucket is edited: its message goes at once, the name's stays.
    rerender({ d: draft('Bad_Bucke') });
    expect(Object.keys(result.current.errors)).toEqual(['name']);
    rerender({ d: draft('Bad_Bucket') });
    expect(Object.keys(result.current.errors)).toEqual(['name', 's3.destination.bucket']);
  });

  it('lets only the newest answer count', async () => {
    let release: (fe: FieldError[]) => void = () => undefined;
    const backend = {
      validateTask: vi
        .fn<(name: string) => Promise<FieldError[]>>()
        .mockImplementationOnce(() => new Promise((resolve) => (release = resolve)))
        .mockImplementationOnce(() => Promise.resolve([])),
    };
    const { result } = renderHook(() => useTaskValidation(backend, draft('ok-bucket', ''), null));
    let first: Promise<unknown> = Promise.resolve();
    act(() => {
      first = result.current.check(draft('ok-bucket', ''), offered);
    });
    await act(() => result.current.check(draft('ok-bucket', ''), offered));
    await act(async () => {
      release([{ field: 'name', message: 'enter a name for the task' }]);
      await first;
    });
    expect(result.current.errors).toEqual({});
  });
});
