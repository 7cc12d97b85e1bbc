import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The console is a plain React SPA: esbuild's automatic JSX runtime, no React plugin needed. */
export default defineConfig({
  root,
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      output: {
        manualChunks: (id) => {
          if (id.includes('world-atlas') || id.includes('topojson') || id.includes('d3-geo') || id.includes('d3-array')) return 'map';
          if (id.includes('i18n-iso-countries')) return 'countries';
          if (id.includes('node_modules/react')) return 'react';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: { '/api': process.env.STACKWATCH_API ?? 'http://127.0.0.1:8080' },
  },
  preview: {
    proxy: { '/api': process.env.STACKWATCH_API ?? 'http://127.0.0.1:8080' },
  },
});
