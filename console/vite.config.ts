import { defineConfig } from 'vite';

/** The web console, served by the app itself at /console (src/http/console.ts). `npm run console:build`. */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Everything from files under /console/assets: nothing inline, so the CSP needs no 'unsafe-inline'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
  // `npx vite console` for working on the UI, against `npm start` on port 3000.
  server: { proxy: { '/v1': 'http://localhost:3000' } },
});
