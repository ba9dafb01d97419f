import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/__tests__/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    testTimeout: 30000,
    css: false,
    reporters: ['default', './scripts/summary-reporter.mjs'],
    server: { deps: { inline: [/@grafana\//] } },
  },
});
