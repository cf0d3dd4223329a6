import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API serves dist/ at /console; every request the app makes is same-origin under /api/v1.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  // `vite` in development: the API on its default port answers /api/v1 through this proxy.
  server: { proxy: { '/api': process.env.CONSOLE_API_URL ?? 'http://127.0.0.1:3000' } },
});
