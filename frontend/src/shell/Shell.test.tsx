import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from '../test/fakeBackend';
import { renderApp } from '../test/render';

function nav() {
  return screen.getByRole('navigation', { name: /side navigation/i });
}

function pageHeading() {
  return screen.getByRole('heading', { level: 1 });
}

describe('app shell', () => {
  it('opens on the Tasks page with the app name, the Go version and the empty state', async () => {
    const { backend } = fakeBackend();
    renderApp(backend);

    // TopNavigation renders its utilities twice (bar and overflow menu).
    expect((await screen.findAllByText('Version 1.2.3-test')).length).toBeGreaterThan(0);
    expect(screen.getAllByText('Transfer Hub').length).toBeGreaterThan(0);
    expect(pageHeading()).toHaveTextContent('Tasks');
    expect(screen.getByText('No tasks yet')).toBeInTheDocument();
    expect(screen.getByText(/no AWS set-up is needed/i)).toBeInTheDocument();
    expect(backend.appInfo).toHaveBeenCalledTimes(1);
  });

  it('lists the four sections in the side navigation', () => {
    const { backend } = fakeBackend();
    renderApp(backend);
    const links = within(nav()).getAllByRole('link').map((a) => a.textContent);
    expect(links).toEqual(expect.arrayContaining(['Tasks', 'Deployments', 'Credentials', 'Settings']));
  });

  it('navigates between sections and keeps heading, breadcrumbs and active link in step', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    renderApp(backend);

    for (const title of ['Deployments', 'Credentials', 'Settings', 'Tasks']) {
      await user.click(within(nav()).getByRole('link', { name: title }));
      await waitFor(() => {
        expect(pageHeading()).toHaveTextContent(title);
      });
      const crumbs = screen.getByRole('navigation', { name: 'Breadcrumbs' });
      expect(within(crumbs).getAllByText(title).length).toBeGreaterThan(0);
      expect(within(crumbs).queryAllByText('Transfer Hub').length).toBeGreaterThan(0);
      expect(within(nav()).getByRole('link', { name: title })).toHaveAttribute('aria-current', 'page');
    }
  });

  it('empty-state "Add credentials" leads to the Credentials page', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    renderApp(backend, '/tasks');
    await user.click(await screen.findByRole('button', { name: 'Add credentials' })); // after the task list loads
    expect(pageHeading()).toHaveTextContent('Credentials');
    expect(await screen.findByText('No credentials')).toBeInTheDocument(); // after the list loads
  });

  it('shows a not-found page for an unknown address', () => {
    const { backend } = fakeBackend();
    renderApp(backend, '/nope');
    expect(pageHeading()).toHaveTextContent('Page not found');
    expect(screen.getByText('Nothing at /nope')).toBeInTheDocument();
  });

  it('reports a backend that does not answer instead of failing silently', async () => {
    const { backend } = fakeBackend();
    backend.appInfo.mockImplementation(() => Promise.reject(new Error('bridge down')));
    renderApp(backend);
    expect(await screen.findByText(/Could not read the app version: bridge down/)).toBeInTheDocument();
  });

  it('keeps the side navigation the user chose when the window was narrow for a moment', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    renderApp(backend);
    const resize = (width: number) => {
      act(() => {
        window.innerWidth = width;
        window.dispatchEvent(new Event('resize'));
      });
    };
    const wide = window.innerWidth;
    try {
      expect(screen.getByRole('button', { name: 'Close side navigation' })).toBeInTheDocument();
      resize(500); // AppLayout closes the navigation on a phone-sized window
      expect(screen.queryByRole('button', { name: 'Close side navigation' })).not.toBeInTheDocument();
      resize(wide);
      expect(await screen.findByRole('button', { name: 'Close side navigation' })).toBeInTheDocument();

      // A close on a wide window is the user's: it stays.
      await user.click(screen.getByRole('button', { name: 'Close side navigation' }));
      resize(500);
      resize(wide);
      expect(screen.getByRole('button', { name: 'Open side navigation' })).toBeInTheDocument();
      expect(screen.queryByRole('button', { name: 'Close side navigation' })).not.toBeInTheDocument();
    } finally {
      resize(wide);
    }
    // Each resize lays the whole shell out again: slow in jsdom on a loaded machine. The
    // bound is a hang detector, not a speed check.
  }, 60_000);

  it('applies the saved dark theme at start-up', async () => {
    const { backend } = fakeBackend({ settings: { theme: 'dark', concurrency: 4, dataDir: '/d' } });
    renderApp(backend);
    await waitFor(() => {
      expect(document.body).toHaveClass('awsui-dark-mode');
    });
  });
});
