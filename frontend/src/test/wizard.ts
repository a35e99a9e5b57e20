import { screen } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';
import { expect } from 'vitest';

// Steps through the task wizard as a user does (shared by its tests).

export async function next(user: UserEvent) {
  await user.click(screen.getByRole('button', { name: 'Next' }));
}

export async function choose(user: UserEvent, selectLabel: string, option: string) {
  await user.click(screen.getByRole('button', { name: new RegExp(selectLabel) }));
  await user.click(await screen.findByRole('option', { name: new RegExp(option) }));
}

/** An error message is shown (Cloudscape also repeats it in a live region). */
export async function shows(text: string | RegExp) {
  expect((await screen.findAllByText(text)).length).toBeGreaterThan(0);
}

export async function expectStep(title: string) {
  expect(await screen.findByRole('heading', { name: new RegExp(`^${title}`), level: 1 })).toBeInTheDocument();
}
