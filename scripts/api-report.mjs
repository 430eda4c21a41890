// API reports: the declarations of every public entry (each `exports` subpath of each public package), as
// API Extractor renders them, checked in under packages/<pkg>/api/<entry>.api.md so a change to a public
// surface shows in review.
//   node scripts/api-report.mjs           check: fails when a report differs from the built declarations
//   node scripts/api-report.mjs --update  rewrite the reports (commit them)
// Both read dist/*.d.ts: run `pnpm build` first. `pnpm api:check` / `pnpm api:update` wrap this.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { publicPackages, root } from './packages.mjs';

const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor');
const update = process.argv.includes('--update');
let failed = 0;

for (const pkg of publicPackages()) {
  for (const [subpath, target] of Object.entries(pkg.manifest.exports ?? {})) {
    if (subpath === './package.json') continue;
    const types = target.import?.types;
    if (!types) continue;
    const entry = join(pkg.dir, types);
    const reportName = subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '-');
    const label = `${pkg.manifest.name}${subpath === '.' ? '' : subpath.slice(1)}`;
    if (!existsSync(entry)) {
      failed++;
      console.log(`FAIL ${label}: ${types} is missing; run pnpm build first`);
      continue;
    }
    const reportFolder = join(pkg.dir, 'api');
    const tempFolder = join(root, '.tmp', 'api', pkg.manifest.name.replace('/', '+'));
    mkdirSync(reportFolder, { recursive: true });
    mkdirSync(tempFolder, { recursive: true });
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: pkg.dir,
        mainEntryPointFilePath: entry,
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              module: 'nodenext',
              moduleResolution: 'nodenext',
              skipLibCheck: true,
              types: ['node'],
              typeRoots: [join(root, 'node_modules/@types')],
            },
            files: [entry],
          },
        },
        apiReport: {
          enabled: true,
          reportFolder,
          reportTempFolder: tempFolder,
          reportFileName: `${reportName}.api.md`,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'none' } },
          extractorMessageReporting: {
            default: { logLevel: 'none' },
            'ae-missing-release-tag': { logLevel: 'none' },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(pkg.dir, 'api-extractor.json'),
      packageJsonFullPath: pkg.manifestPath,
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      showVerboseMessages: false,
      messageCallback: (m) => {
        m.handled = true;
      },
    });
    const ok = result.succeeded && (update || !result.apiReportChanged);
    if (!ok) failed++;
    const what = result.apiReportChanged
      ? update
        ? 'updated'
        : 'differs from the built declarations: run pnpm build && pnpm api:update and commit'
      : 'unchanged';
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label} (api/${reportName}.api.md ${what})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
