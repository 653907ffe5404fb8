import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';

// `npm run dev` proxies /api to a running `sluice ui` (or the mock: `npm run mock`).
const apiTarget = process.env.SLUICE_UI_URL ?? 'http://127.0.0.1:5602';

export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': apiTarget },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    env: { TZ: 'UTC' },
  },
});
