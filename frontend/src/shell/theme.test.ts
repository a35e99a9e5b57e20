import { describe, expect, it } from 'vitest';
import { Mode } from '@cloudscape-design/global-styles';
import { resolveMode } from './theme';

describe('resolveMode', () => {
  it('uses the explicit choice whatever the system prefers', () => {
    expect(resolveMode('light', true)).toBe(Mode.Light);
    expect(resolveMode('dark', false)).toBe(Mode.Dark);
  });
  it('follows the system for "system"', () => {
    expect(resolveMode('system', true)).toBe(Mode.Dark);
    expect(resolveMode('system', false)).toBe(Mode.Light);
  });
});
