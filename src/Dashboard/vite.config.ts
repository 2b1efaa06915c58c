import { defineConfig } from 'vitest/config';

// The hub serves dist/ at "/", so every asset URL is relative ("./assets/…").
export default defineConfig({
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: true,
  },
  test: {
    // Node by default; a test that needs a DOM opts in with `// @vitest-environment happy-dom`.
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
