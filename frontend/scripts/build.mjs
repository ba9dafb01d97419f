// Builds dist/module.js: an AMD module (the format Grafana's plugin loader expects) whose
// dependencies are the libraries Grafana provides at runtime. Everything else is bundled.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
// esbuild's metafile (https://esbuild.github.io/api/#metafile): every input file that went into the bundle, by path
// relative to frontend/. scripts/sbom.py reads it to list the npm packages module.js carries. Kept out of dist/
// (not shipped); module.js.sha256 beside it ties it to the module.js it describes.
const buildInfo = join(root, 'build');

// Provided by Grafana at runtime (SystemJS shared dependencies). Only exact specifiers.
export const EXTERNALS = [
  'react',
  'react-dom',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  '@emotion/css',
  '@emotion/react',
  'rxjs',
  'rxjs/operators',
  'lodash',
  'moment',
];

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const externalsPlugin = {
  name: 'grafana-externals',
  setup(b) {
    const re = new RegExp('^(' + EXTERNALS.map((e) => e.replace(/[/.]/g, '\\$&')).join('|') + ')$');
    b.onResolve({ filter: re }, (args) => ({ path: args.path, external: true }));
    b.onResolve({ filter: /^react\/jsx(-dev)?-runtime$/ }, () => ({ path: join(root, 'scripts/jsx-runtime-shim.js') }));
  },
};

const result = await build({
  entryPoints: [join(root, 'src/module.ts')],
  bundle: true,
  format: 'cjs',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'none',
  write: false,
  outfile: join(dist, 'module.js'),
  define: { 'process.env.NODE_ENV': '"production"' },
  jsx: 'transform',
  plugins: [externalsPlugin],
  logLevel: 'warning',
  metafile: true,
  absWorkingDir: root,
});

const code = result.outputFiles.find((f) => f.path.endsWith('module.js')).text;
// Externals actually imported by the bundle become the AMD dependencies.
const used = EXTERNALS.filter((e) => code.includes(`require("${e}")`));
const params = used.map((_, i) => `__ext${i}`);
const amd =
  `define(${JSON.stringify(used)},function(${params.join(',')}){` +
  `var __deps={${used.map((e, i) => `${JSON.stringify(e)}:__ext${i}`).join(',')}};` +
  `var require=function(n){if(Object.prototype.hasOwnProperty.call(__deps,n))return __deps[n];throw new Error("Module not provided by Grafana: "+n)};` +
  `var module={exports:{}},exports=module.exports;\n${code}\nreturn module.exports;});\n`;
writeFileSync(join(dist, 'module.js'), amd);
mkdirSync(buildInfo, { recursive: true });
writeFileSync(join(buildInfo, 'metafile.json'), JSON.stringify(result.metafile, null, 1) + '\n');
writeFileSync(join(buildInfo, 'module.js.sha256'), createHash('sha256').update(amd).digest('hex') + '\n');

mkdirSync(join(dist, 'img'), { recursive: true });
cpSync(join(root, 'img'), join(dist, 'img'), { recursive: true });
for (const f of ['README.md']) {
  cpSync(join(root, f), join(dist, f));
}
// plugin.json is owned by the repository root (backend + frontend share it); copy it if present.
for (const candidate of [join(root, 'src/plugin.json'), join(root, '../plugin.json')]) {
  if (existsSync(candidate)) {
    cpSync(candidate, join(dist, 'plugin.json'));
    break;
  }
}

const size = statSync(join(dist, 'module.js')).size;
console.log(`dist/module.js ${(size / 1024).toFixed(1)} KiB, AMD deps: ${used.join(', ')} (${Date.now() - started} ms)`);
