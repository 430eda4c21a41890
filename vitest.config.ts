import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'examples'],
    // Most test files spend their time waiting on child processes (claude, servers, backends), so two files
    // at once on a 2-core machine keeps both cores busy; vitest's default would be one.
    maxWorkers: 2,
  },
});
