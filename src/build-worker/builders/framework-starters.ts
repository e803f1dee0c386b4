import type { Framework } from '../../projects/framework';

/** What a starter shows; the only user text in it. */
export interface StarterProject {
  readonly name: string;
  readonly prompt: string;
  readonly framework: Framework;
}

/** A file of the starter, by its path relative to the project's `source/` folder. */
export interface StarterFile {
  readonly path: string;
  readonly content: string;
}

interface Starter {
  readonly scripts: Record<string, string>;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
  /** Where the project's name and prompt go, as JSON the code imports. */
  readonly dataFile: string;
  /** The starter's code, the same for every project: no user text is ever written into code. */
  readonly code: Record<string, string>;
}

const VITE_SCRIPTS = { dev: 'vite', build: 'vite build', preview: 'vite preview' };

/** The smallest set of files with which `npm install && npm run build` works for each framework. */
const STARTERS: Record<Framework, Starter> = {
  react: {
    scripts: VITE_SCRIPTS,
    dependencies: { react: '^19.2.0', 'react-dom': '^19.2.0' },
    devDependencies: { '@vitejs/plugin-react': '^6.0.0', vite: '^8.0.0' },
    dataFile: 'src/project.json',
    code: {
      'index.html': viteIndexHtml('root', '/src/main.jsx'),
      'vite.config.js': viteConfig("import react from '@vitejs/plugin-react';", 'react()'),
      'src/main.jsx': `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import project from './project.json';

function App() {
  return (
    <main>
      <h1>{project.name}</h1>
      <p style={{ whiteSpace: 'pre-wrap' }}>{project.prompt}</p>
    </main>
  );
}

document.title = project.name;
createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`,
    },
  },
  nextjs: {
    scripts: { dev: 'next dev', build: 'next build', start: 'next start' },
    dependencies: { next: '^16.0.0', react: '^19.2.0', 'react-dom': '^19.2.0' },
    devDependencies: {},
    dataFile: 'app/project.json',
    code: {
      'app/layout.jsx': `import project from './project.json';

export const metadata = { title: project.name };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
`,
      'app/page.jsx': `import project from './project.json';

export default function Page() {
  return (
    <main>
      <h1>{project.name}</h1>
      <p style={{ whiteSpace: 'pre-wrap' }}>{project.prompt}</p>
    </main>
  );
}
`,
    },
  },
  vue: {
    scripts: VITE_SCRIPTS,
    dependencies: { vue: '^3.5.0' },
    devDependencies: { '@vitejs/plugin-vue': '^6.0.0', vite: '^8.0.0' },
    dataFile: 'src/project.json',
    code: {
      'index.html': viteIndexHtml('app', '/src/main.js'),
      'vite.config.js': viteConfig("import vue from '@vitejs/plugin-vue';", 'vue()'),
      'src/main.js': `import { createApp } from 'vue';
import App from './App.vue';

createApp(App).mount('#app');
`,
      'src/App.vue': `<script setup>
import project from './project.json';

document.title = project.name;
</script>

<template>
  <main>
    <h1>{{ project.name }}</h1>
    <p style="white-space: pre-wrap">{{ project.prompt }}</p>
  </main>
</template>
`,
    },
  },
  svelte: {
    scripts: VITE_SCRIPTS,
    dependencies: {},
    devDependencies: { '@sveltejs/vite-plugin-svelte': '^7.0.0', svelte: '^5.46.0', vite: '^8.0.0' },
    dataFile: 'src/project.json',
    code: {
      'index.html': viteIndexHtml('app', '/src/main.js'),
      'vite.config.js': viteConfig("import { svelte } from '@sveltejs/vite-plugin-svelte';", 'svelte()'),
      'src/main.js': `import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('app') });
`,
      'src/App.svelte': `<script>
  import project from './project.json';
</script>

<svelte:head>
  <title>{project.name}</title>
</svelte:head>

<main>
  <h1>{project.name}</h1>
  <p style="white-space: pre-wrap">{project.prompt}</p>
</main>
`,
    },
  },
  angular: {
    scripts: { ng: 'ng', start: 'ng serve', build: 'ng build' },
    dependencies: {
      '@angular/common': '^22.0.0',
      '@angular/compiler': '^22.0.0',
      '@angular/core': '^22.0.0',
      '@angular/platform-browser': '^22.0.0',
      rxjs: '^7.8.0',
      tslib: '^2.8.0',
    },
    devDependencies: {
      '@angular/build': '^22.0.0',
      '@angular/cli': '^22.0.0',
      '@angular/compiler-cli': '^22.0.0',
      typescript: '~6.0.0',
    },
    dataFile: 'src/project.json',
    code: {
      'angular.json': json({
        $schema: './node_modules/@angular/cli/lib/config/schema.json',
        version: 1,
        cli: { analytics: false },
        newProjectRoot: 'projects',
        projects: {
          app: {
            projectType: 'application',
            root: '',
            sourceRoot: 'src',
            architect: {
              build: {
                builder: '@angular/build:application',
                options: { browser: 'src/main.ts', index: 'src/index.html', tsConfig: 'tsconfig.json' },
              },
              serve: { builder: '@angular/build:dev-server', options: { buildTarget: 'app:build' } },
            },
          },
        },
      }),
      'tsconfig.json': json({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'preserve',
          moduleResolution: 'bundler',
          resolveJsonModule: true,
          esModuleInterop: true,
          experimentalDecorators: true,
          importHelpers: true,
          isolatedModules: true,
          skipLibCheck: true,
        },
        files: ['src/main.ts'],
      }),
      'src/index.html': `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <base href="/" />
    <title>App</title>
  </head>
  <body>
    <app-root></app-root>
  </body>
</html>
`,
      'src/main.ts': `import { Component } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import project from './project.json';

@Component({
  selector: 'app-root',
  template: \`
    <main>
      <h1>{{ project.name }}</h1>
      <p style="white-space: pre-wrap">{{ project.prompt }}</p>
    </main>
  \`,
})
class App {
  protected readonly project = project;
}

document.title = project.name;
bootstrapApplication(App).catch((error: unknown) => console.error(error));
`,
    },
  },
  astro: {
    scripts: { dev: 'astro dev', build: 'astro build', preview: 'astro preview' },
    dependencies: { astro: '^7.0.0' },
    devDependencies: {},
    dataFile: 'src/project.json',
    code: {
      'src/pages/index.astro': `---
import project from '../project.json';
---

<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>{project.name}</title>
  </head>
  <body>
    <main>
      <h1>{project.name}</h1>
      <p style="white-space: pre-wrap">{project.prompt}</p>
    </main>
  </body>
</html>
`,
    },
  },
};

/**
 * The starter's files for the project. User text goes only into JSON (`package.json`, the data
 * file, via JSON.stringify) and Markdown (the README), never into code, so no name or prompt can
 * change what the starter runs.
 */
export function starterFiles(project: StarterProject): StarterFile[] {
  const starter = STARTERS[project.framework];
  const packageJson = {
    name: packageName(project.name),
    version: '0.0.0',
    private: true,
    ...(project.framework === 'angular' ? {} : { type: 'module' }),
    scripts: starter.scripts,
    dependencies: starter.dependencies,
    devDependencies: starter.devDependencies,
  };
  const data = { name: project.name, framework: project.framework, prompt: project.prompt };
  return [
    { path: 'package.json', content: json(packageJson) },
    { path: 'README.md', content: readme(project, starter) },
    { path: starter.dataFile, content: json(data) },
    ...Object.entries(starter.code).map(([path, content]) => ({ path, content })),
  ];
}

/** Every path any starter writes: the only files a later starter may remove from `source/`. */
export const STARTER_PATHS: ReadonlySet<string> = new Set(
  Object.values(STARTERS).flatMap((starter) => [
    'package.json',
    'README.md',
    starter.dataFile,
    ...Object.keys(starter.code),
  ]),
);

/** An npm package name (lower case, URL-safe, at most 214 characters) resembling the project's name. */
export function packageName(projectName: string): string {
  const slug = projectName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
  return slug || 'sheen-project';
}

function readme(project: StarterProject, starter: Starter): string {
  const title = project.name.replace(/\s+/g, ' ').trim();
  const devScript = 'dev' in starter.scripts ? 'dev' : 'start';
  // A fence longer than any run of backticks in the prompt, so the prompt cannot close it.
  const longestRun = Math.max(0, ...(project.prompt.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `# ${title}

A ${project.framework} starter generated from this prompt:

${fence}text
${project.prompt}
${fence}

## Run it

    npm install
    npm run ${devScript}

\`npm run build\` builds it for production.
`;
}

function viteIndexHtml(rootId: string, entry: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>App</title>
  </head>
  <body>
    <div id="${rootId}"></div>
    <script type="module" src="${entry}"></script>
  </body>
</html>
`;
}

function viteConfig(importLine: string, plugin: string): string {
  return `import { defineConfig } from 'vite';
${importLine}

export default defineConfig({
  plugins: [${plugin}],
});
`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
