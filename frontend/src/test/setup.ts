import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// Waits are hang guards, not timings: a page under a loaded machine (CI, several test
// runs at once) can take seconds to render Cloudscape's tables.
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  cleanup();
  document.body.className = '';
});
