import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from '../test/fakeBackend';
import { renderApp } from '../test/render';
import { parseConcurrency } from './SettingsPage';

async function openSettings(backend: ReturnType<typeof fakeBackend>['backend']) {
  renderApp(backend, '/settings');
  return screen.findByRole('spinbutton');
}

describe('settings form', () => {
  it('shows the stored values and the About versions', async () => {
    const { backend } = fakeBackend();
    const concurrency = await openSettings(backend);
    expect(concurrency).toHaveValue(16);
    expect(screen.getByDisplayValue('/home/u/.local/share/transfer-hub')).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'Light' })).toBeChecked();
    expect(await screen.findByText('v2.9.2')).toBeInTheDocument();
    expect(screen.getByText('linux/amd64')).toBeInTheDocument();
  });

  it('saves theme, concurrency and data location and applies the theme', async () => {
    const user = userEvent.setup();
    const { backend, stored } = fakeBackend();
    const concurrency = await openSettings(backend);

    await user.click(screen.getByRole('radio', { name: 'Dark' }));
    await user.clear(concurrency);
    await user.type(concurrency, '48');
    const dataDir = screen.getByDisplayValue('/home/u/.local/share/transfer-hub');
    await user.clear(dataDir);
    await user.type(dataDir, '/srv/th');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(await screen.findByText(/Settings saved to/)).toBeInTheDocument();
    expect(backend.saveSettings).toHaveBeenCalledWith({ theme: 'dark', concurrency: 48, dataDir: '/srv/th' });
    expect(stored()).toEqual({ theme: 'dark', concurrency: 48, dataDir: '/srv/th' });
    await waitFor(() => {
      expect(document.body).toHaveClass('awsui-dark-mode');
    });
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
  });

  it('rejects a concurrency out of range without calling the backend', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    const concurrency = await openSettings(backend);
    await user.clear(concurrency);
    await user.type(concurrency, '0');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Enter a whole number from 1 to 256.')).toBeInTheDocument();
    expect(backend.saveSettings).not.toHaveBeenCalled();
  });

  it('shows the field errors the Go side returns next to the field', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({
      fieldErrors: [{ field: 'dataDir', message: '"rel" is a relative path; enter a full path' }],
    });
    await openSettings(backend);
    const dataDir = screen.getByDisplayValue('/home/u/.local/share/transfer-hub');
    await user.clear(dataDir);
    await user.type(dataDir, 'rel');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('"rel" is a relative path; enter a full path')).toBeInTheDocument();
    expect(screen.queryByText(/Settings saved/)).not.toBeInTheDocument();
  });

  it('shows a failed write as a form error', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    backend.saveSettings.mockImplementation(() => Promise.reject(new Error('settings were not saved: disk full')));
    await openSettings(backend);
    await user.click(screen.getByRole('radio', { name: 'Dark' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('settings were not saved: disk full')).toBeInTheDocument();
  });

  it('fills the data location from the folder chooser', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    await openSettings(backend);
    await user.click(screen.getByRole('button', { name: 'Choose folder' }));
    expect(await screen.findByDisplayValue('/picked/folder')).toBeInTheDocument();
    expect(backend.chooseDataDir).toHaveBeenCalledWith('/home/u/.local/share/transfer-hub');
  });

  it('explains a settings file that needed repair', async () => {
    const { backend } = fakeBackend({ problem: 'read settings /x/settings.json: not valid JSON' });
    await openSettings(backend);
    expect(screen.getByText(/not valid JSON\. The values shown are used instead; saving replaces the file\./)).toBeInTheDocument();
  });
});

describe('parseConcurrency', () => {
  it.each([
    ['16', 16],
    [' 1 ', 1],
    ['256', 256],
    ['0', undefined],
    ['257', undefined],
    ['1.5', undefined],
    ['-2', undefined],
    ['', undefined],
    ['abc', undefined],
  ])('%j -> %j', (text, want) => {
    expect(parseConcurrency(text, 1, 256)).toBe(want);
  });
});
