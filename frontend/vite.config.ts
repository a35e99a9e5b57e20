/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// Go embeds frontend/dist (main.go), so git tracks dist/.gitkeep for builds and vets in a
// fresh clone. Vite empties dist/ on every build; put the placeholder back.
function keepGitkeep(): Plugin {
  return {
    name: 'keep-gitkeep',
    apply: 'build',
    writeBundle(options) {
      writeFileSync(resolve(options.dir ?? 'dist', '.gitkeep'), '');
    },
  };
}

export default defineConfig({
  plugins: [react(), keepGitkeep()],
  build: {
    // Cloudscape is large; one chunk per concern keeps rebuilds and caching cheap.
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/@cloudscape-design/')) return 'cloudscape';
          if (id.includes('node_modules/')) return 'vendor';
          return undefined;
        },
      },
    },
  },
  server: {
    // wails dev proxies to this; bind loopback only.
    host: '127.0.0.1',
    strictPort: false,
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    testTimeout: 60_000, // a hang guard (see src/test/setup.ts), not a timing
  },
});
