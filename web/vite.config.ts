// Build of the web page: `vite build --config web/vite.config.ts` writes web/dist, which the
// server serves (falling back to index.html for the History API routes). In development,
// `npx vite --config web/vite.config.ts` proxies /api to a running server (SIPLADDER_API).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: { '/api': process.env.SIPLADDER_API ?? 'http://127.0.0.1:8080' },
  },
});
